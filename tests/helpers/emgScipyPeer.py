"""SciPy peer of electron/engine/signals (OrthoTwin issue 21, sEMG).

usage: python3 emgScipyPeer.py <analogs.csv> <outdir> [notchHz]

Reads the analog CSV export (rate on line 2, labels on line 4, data from
line 6), and for every channel computes with scipy.signal / numpy:
band-pass butter(4, [20, 450], 'bandpass', fs, output='sos') applied with
sosfiltfilt (odd padding), an optional iirnotch(notchHz, 30, fs) applied
with sosfiltfilt after it, IEMG = sum|y|/fs, RMS, welch(hann, 1024, 512,
'constant', 'density'), MNF/MDF over 20..450 Hz (MDF: linear interpolation
of the cumulative power at half the total), MDF of 1 s windows with 0.5 s
step (window centre times) and np.polyfit's slope, and the linear envelope
(|y - mean y| through butter(2, 6, 'lowpass') with sosfiltfilt).
Writes <outdir>/features.json and <outdir>/filtered.f64, <outdir>/envelope.f64
(float64 little-endian, channel after channel; all-zero channels included).
"""
import json
import sys

import numpy as np
import scipy
from scipy import signal

path, outdir = sys.argv[1], sys.argv[2]
notch = float(sys.argv[3]) if len(sys.argv) > 3 else None
with open(path) as fh:
    lines = fh.read().splitlines()
fs = float(lines[1].split(',')[0])
labels = [s.strip() for s in lines[3].split(',')][2:]
data = np.array([[float(c) for c in l.split(',')[2:]] for l in lines[5:] if l.strip()])

LO, HI = 20.0, 450.0
sos = signal.butter(4, [LO, HI], 'bandpass', fs=fs, output='sos')
env_sos = signal.butter(2, 6.0, 'lowpass', fs=fs, output='sos')


def band_mnf_mdf(f, p):
    m = (f >= LO) & (f <= HI)
    f, p = f[m], p[m]
    tot = p.sum()
    if not tot > 0:
        return None, None
    mnf = float((f * p).sum() / tot)
    c = np.cumsum(p)
    half = c[-1] / 2
    k = int(np.argmax(c >= half))
    if k == 0:
        return mnf, float(f[0])
    return mnf, float(f[k - 1] + (half - c[k - 1]) / (c[k] - c[k - 1]) * (f[k] - f[k - 1]))


def welch(y):
    nper = min(1024, len(y))
    return signal.welch(y, fs, window='hann', nperseg=nper, noverlap=min(512, nper - 1), detrend='constant', scaling='density')


out = []
filtered = []
envelopes = []
W, S = int(round(fs)), int(round(fs / 2))
for j, label in enumerate(labels):
    x = data[:, j]
    flat = bool(np.all(x == x[0]))
    y = signal.sosfiltfilt(sos, x)
    if notch is not None:
        b, a = signal.iirnotch(notch, 30.0, fs)
        y = signal.sosfiltfilt(np.r_[b, a][None, :], y)
    env = signal.sosfiltfilt(env_sos, np.abs(y - y.mean()))
    filtered.append(y)
    envelopes.append(env)
    f, p = welch(y)
    mnf, mdf = band_mnf_mdf(f, p)
    ts, mdfs = [], []
    for s in range(0, len(y) - W + 1, S):
        fw, pw = welch(y[s:s + W])
        _, md = band_mnf_mdf(fw, pw)
        if md is not None:
            ts.append((s + W / 2) / fs)
            mdfs.append(md)
    slope = float(np.polyfit(ts, mdfs, 1)[0]) if len(ts) >= 2 else None
    out.append({'label': label, 'flat': flat, 'iemgVs': float(np.abs(y).sum() / fs), 'rmsV': float(np.sqrt(np.mean(y * y))),
                'mnfHz': mnf, 'mdfHz': mdf, 'mdfSlopeHzPerS': slope, 'windowMdfHz': mdfs, 'windowTS': ts})
np.asarray(filtered, dtype='<f8').tofile(outdir + '/filtered.f64')
np.asarray(envelopes, dtype='<f8').tofile(outdir + '/envelope.f64')
with open(outdir + '/features.json', 'w') as fh:
    json.dump({'scipy': scipy.__version__, 'numpy': np.__version__, 'fs': fs, 'samples': int(data.shape[0]),
               'sos': sos.tolist(), 'channels': out}, fh)
