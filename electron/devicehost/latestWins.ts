/**
 * Latest-wins delivery for live streams: per key (device + stream) at most
 * one message is in flight on a connection; a newer message replaces one
 * still waiting and the replaced one is counted as dropped. Used by the
 * device host's stream server and by the browser-mode host's stream relay.
 */
export type SendFn = (msg: Uint8Array, done: () => void) => void;

interface Slot {
  inFlight: boolean;
  waiting: Uint8Array | null;
  dropped: number;
}

export class LatestWins {
  private slots = new Map<string, Slot>();
  /** Messages replaced before they were sent, all keys. */
  dropped = 0;

  constructor(private readonly send: SendFn) {}

  /**
   * Offers a message for `key`; `make(dropped)` builds it with the key's
   * dropped count so far (so the receiver sees how many it missed).
   */
  offer(key: string, make: (dropped: number) => Uint8Array): void {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { inFlight: false, waiting: null, dropped: 0 }));
    if (slot.inFlight && slot.waiting) {
      slot.dropped++;
      this.dropped++;
    }
    const msg = make(slot.dropped);
    if (slot.inFlight) slot.waiting = msg;
    else this.sendNow(slot, msg);
  }

  private sendNow(slot: Slot, msg: Uint8Array): void {
    slot.inFlight = true;
    this.send(msg, () => {
      slot.inFlight = false;
      const next = slot.waiting;
      slot.waiting = null;
      if (next) this.sendNow(slot, next);
    });
  }
}
