"""Independent reader of OpenSim .trc / .sto files (OrthoTwin issue 21 §6).

usage: python3 opensimPeer.py trc|sto <file>

Skips the header the way opensim-core's adapters do — TRC: lines 1-5
(PathFileType, the keys, their values, Frame#/Time/labels, X1 Y1 Z1 ...),
blank lines, then tab-separated rows with empty fields for missing markers
(NaN); storage: everything up to the 'endheader' line, then the labels line
and tab-separated rows — parses with numpy.genfromtxt and prints JSON (NaN as
null).
"""
import json
import sys

import numpy as np

kind, path = sys.argv[1], sys.argv[2]
with open(path) as fh:
    lines = fh.read().split('\n')


def clean(a):
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]


if kind == 'trc':
    keys = [s.strip() for s in lines[1].split('\t') if s.strip()]
    vals = [s.strip() for s in lines[2].split('\t') if s.strip()]
    labels = [s.strip() for s in lines[3].split('\t') if s.strip()][2:]
    data = np.atleast_2d(np.genfromtxt(path, delimiter='\t', skip_header=5))
    data = data[:, : 2 + 3 * len(labels)]  # a trailing tab adds an empty column
    out = {'meta': dict(zip(keys, vals)), 'labels': labels, 'frame': data[:, 0].tolist(), 'time': data[:, 1].tolist(), 'xyz': clean(data[:, 2:])}
else:
    end = next(i for i, l in enumerate(lines) if l.strip() == 'endheader')
    header = dict(l.split('=', 1) for l in lines[:end] if '=' in l)
    labels = lines[end + 1].split('\t')
    data = np.atleast_2d(np.genfromtxt(path, delimiter='\t', skip_header=end + 2))
    out = {'name': lines[0], 'header': header, 'labels': labels, 'data': clean(data)}
print(json.dumps(out))
