/**
 * Latest-wins delivery for live streams: per key (device + stream) at most
 * one message is in flight on a connection; a newer message replaces one
 * still waiting and the replaced one is counted as dropped. Used by the
 * device host's stream server and by the browser-mode host's stream relay.
 *
 * A key may keep more than one message waiting (`offer`'s `keep`): signal
 * streams (sEMG, IMU; `backlogFor`) queue up to 2 s of blocks behind the one
 * in flight, so a burst of blocks (the backlog a stalled event loop releases
 * at once) reaches the client whole, and only a client that stays behind
 * for longer loses the oldest waiting blocks (counted as dropped).
 */
export type SendFn = (msg: Uint8Array, done: () => void) => void;

interface Slot {
  inFlight: boolean;
  /** Messages waiting behind the one in flight, oldest first. */
  waiting: Uint8Array[];
  dropped: number;
}

/** Signal blocks (sEMG, IMU) that may wait per connection: 2 s of 50 ms blocks (every sample counts: the Motion workspace plots every block). */
export const SIGNAL_BACKLOG = 40;

/** How many messages of a stream kind may wait behind the one in flight: signal blocks up to SIGNAL_BACKLOG, frames and the rest only the latest. */
export function backlogFor(stream: string): number {
  return stream === 'emg' || stream === 'imu' ? SIGNAL_BACKLOG : 1;
}

export class LatestWins {
  private slots = new Map<string, Slot>();
  /** Messages replaced before they were sent, all keys. */
  dropped = 0;

  constructor(private readonly send: SendFn) {}

  /**
   * Offers a message for `key`; `make(dropped)` builds it with the key's
   * dropped count so far (so the receiver sees how many it missed).
   * @param keep messages of this key that may wait behind the one in flight (1: only the latest); beyond it the
   *   oldest waiting one is dropped
   */
  offer(key: string, make: (dropped: number) => Uint8Array, keep = 1): void {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { inFlight: false, waiting: [], dropped: 0 }));
    if (slot.inFlight && slot.waiting.length >= Math.max(1, keep)) {
      slot.waiting.shift();
      slot.dropped++;
      this.dropped++;
    }
    const msg = make(slot.dropped);
    if (slot.inFlight) slot.waiting.push(msg);
    else this.sendNow(slot, msg);
  }

  private sendNow(slot: Slot, msg: Uint8Array): void {
    slot.inFlight = true;
    this.send(msg, () => {
      slot.inFlight = false;
      const next = slot.waiting.shift();
      if (next) this.sendNow(slot, next);
    });
  }
}
