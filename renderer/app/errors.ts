/** One line for an error shown to the user: `[CODE] message` for service errors, else the message. */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const code = 'code' in e ? `[${String((e as { code: unknown }).code)}] ` : '';
    return `${code}${String((e as { message: unknown }).message)}`;
  }
  return String(e);
}
