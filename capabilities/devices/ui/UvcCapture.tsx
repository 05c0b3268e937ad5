/**
 * Ultrasound frame grabbers (Epiphan, Magewell and other UVC devices) through
 * Chromium's media capture: pick a video input, see it, and hand every frame
 * to the device host's timeline (sequence number, capture time on the host
 * clock, grey pixels) over the stream socket, where it is listed as a device
 * with its rate, drops and latency.
 */
import { useEffect, useRef, useState } from 'react';
import type { StreamClient } from './streamClient.js';

export interface CaptureStats {
  frames: number;
  sent: number;
  width: number;
  height: number;
  meanGrey: number;
}

interface Props {
  streams: StreamClient | null;
  onStats: (s: CaptureStats) => void;
  onError: (e: unknown) => void;
}

/**
 * Whether a video input is simulated: Chromium's fake capture devices
 * (`--use-fake-device-for-media-stream`, fed a test pattern or a video file)
 * are named so. The window declares it on every frame it sends up; the host
 * lists the grabber as simulated from that.
 */
const simulatedInput = (label: string): boolean => /fake|simulat/i.test(label);

/** Host clock (µs since the epoch), the same timeline as the device host's. */
const hostClockUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

export function UvcCapture({ streams, onStats, onError }: Props) {
  const [inputs, setInputs] = useState<MediaDeviceInfo[]>([]);
  const [selected, setSelected] = useState('');
  const [active, setActive] = useState<MediaStream | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const stats = useRef<CaptureStats>({ frames: 0, sent: 0, width: 0, height: 0, meanGrey: 0 });

  useEffect(() => {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    navigator.mediaDevices
      .enumerateDevices()
      .then((d) => {
        const v = d.filter((x) => x.kind === 'videoinput');
        setInputs(v);
        if (v[0]) setSelected(v[0].deviceId);
      })
      .catch(onError);
  }, [onError]);

  useEffect(() => {
    const v = video.current;
    if (!active || !v) return;
    v.srcObject = active;
    void v.play().catch(() => undefined);
    const label = active.getVideoTracks()[0]?.label ?? 'video';
    const simulated = simulatedInput(label);
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    let handle = 0;
    let stopped = false;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      if (stopped || !ctx) return;
      const w = v.videoWidth;
      const h = v.videoHeight;
      if (w && h) {
        if (canvas.width !== w) canvas.width = w;
        if (canvas.height !== h) canvas.height = h;
        ctx.drawImage(v, 0, 0);
        const rgba = ctx.getImageData(0, 0, w, h).data;
        const grey = new Uint8Array(w * h);
        let sum = 0;
        for (let i = 0, j = 0; j < grey.length; i += 4, j++) {
          grey[j] = rgba[i + 1]!;
          sum += grey[j]!;
        }
        const s = stats.current;
        s.frames++;
        s.width = w;
        s.height = h;
        s.meanGrey = sum / grey.length;
        // capture time: when the frame was captured (media capture), else when it was presented
        const capturedMs = meta.captureTime ?? meta.expectedDisplayTime;
        const capturedUs = (performance.timeOrigin + capturedMs) * 1000;
        const sent = streams?.sendUp(
          {
            device: `uvc:${label}`,
            stream: 'image',
            seq: meta.presentedFrames,
            deviceTimeUs: capturedUs,
            hostTimeUs: hostClockUs(),
            width: w,
            height: h,
            components: 1,
            scalar: 'uint8',
            simulated,
          },
          grey,
        );
        if (sent) s.sent++;
        onStats({ ...s });
      }
      handle = v.requestVideoFrameCallback(onFrame);
    };
    handle = v.requestVideoFrameCallback(onFrame);
    return () => {
      stopped = true;
      v.cancelVideoFrameCallback(handle);
    };
  }, [active, streams, onStats]);

  const start = async (): Promise<void> => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: selected ? { deviceId: { exact: selected } } : true, audio: false });
      setActive(s);
      const d = await navigator.mediaDevices.enumerateDevices();
      setInputs(d.filter((x) => x.kind === 'videoinput'));
    } catch (e) {
      onError(new Error(`cannot open the video input: ${(e as Error).message}`));
    }
  };

  const stop = (): void => {
    for (const t of active?.getTracks() ?? []) t.stop();
    setActive(null);
  };

  return (
    <section className="panel" aria-label="frame grabber">
      <h2>Ultrasound frame grabber (UVC)</h2>
      <div className="row">
        <select aria-label="Video input" value={selected} onChange={(e) => setSelected(e.target.value)}>
          {inputs.length === 0 && <option value="">No video input found</option>}
          {inputs.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Video input ${i + 1}`}
            </option>
          ))}
        </select>
        {!active ? (
          <button onClick={() => void start()} disabled={inputs.length === 0}>
            Start capture
          </button>
        ) : (
          <button onClick={stop}>Stop capture</button>
        )}
      </div>
      <video
        ref={video}
        muted
        playsInline
        data-testid="uvc-video"
        style={{ width: 410, maxWidth: '100%', background: '#000', display: active ? 'block' : 'none' }}
      />
    </section>
  );
}
