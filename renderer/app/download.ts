/** Saves a blob as a file through the browser's download (Electron: the save dialog). */
function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves text as a file through the browser's download (Electron: the save dialog). */
export function download(name: string, type: string, text: string): void {
  saveBlob(name, new Blob([text], { type }));
}

/** Saves bytes given as base64 (a PDF from the services) as a file through the browser's download. */
export function downloadBase64(name: string, type: string, base64: string): void {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  saveBlob(name, new Blob([bytes], { type }));
}
