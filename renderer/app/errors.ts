/** One line for an error shown to the user: `[CODE] message` for service errors, else the message. */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const code = 'code' in e ? `[${String((e as { code: unknown }).code)}] ` : '';
    return `${code}${String((e as { message: unknown }).message)}`;
  }
  return String(e);
}

/**
 * An error line as a sentence for the banner and its technical part: `[CODE] message` → the message's first line (a
 * prefix repeated by nested layers, "A: A: reason", folded to "A: reason", also when A has colons as "host:port" does;
 * first letter upper case), the code, and the technical detail (the message's further lines, e.g. a device's socket
 * error under its sentence).
 */
export function splitErrorText(text: string): { sentence: string; code: string | null; detail: string | null } {
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(text);
  const full = m ? (m[2] as string) : text;
  const nl = full.indexOf('\n');
  let msg = nl < 0 ? full : full.slice(0, nl);
  const detail = nl < 0 ? null : full.slice(nl + 1).trim() || null;
  for (;;) {
    const r = /^(.{1,120}?): \1: /.exec(msg);
    if (!r) break;
    msg = msg.slice((r[1] as string).length + 2);
  }
  // a sentence starts with a capital, unless it starts with a file or device name (kept as it is spelled: "trunc.c3d: …")
  const first = /^[^\s:]+/.exec(msg)?.[0] ?? '';
  const named = /[./\\_\d-]/.test(first);
  return { sentence: named ? msg : msg.charAt(0).toUpperCase() + msg.slice(1), code: m ? (m[1] as string) : null, detail };
}
