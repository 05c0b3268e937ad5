/**
 * Browser-mode uploads: a file or folder picked or dropped in the page is
 * posted to the loopback host's upload route (a browser gives no file
 * paths) and imported from the path the host returns. The desktop build
 * passes the file's own path instead (preload `pathForFile`).
 */
import type { Client } from '../ipc/client.js';

/** Uploads the files; returns the path to import: the file (one file), or the picked folder. @throws Error naming a file whose upload failed */
export async function uploadFiles(client: Client, files: File[]): Promise<string> {
  const dir = crypto.randomUUID();
  let root = '';
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const r = await client.transport.fetchData(`/data/upload?dir=${dir}&name=${encodeURIComponent(rel)}`, { method: 'POST', body: f });
    if (!r.ok) throw new Error(`upload of ${rel} failed (${r.status})`);
    const j = (await r.json()) as { root: string; path: string };
    root = files.length === 1 && !rel.includes('/') ? j.path : j.root;
  }
  // a picked folder uploads as <root>/<folder>/...: import the folder itself
  const first = (files[0] as (File & { webkitRelativePath?: string }) | undefined)?.webkitRelativePath;
  if (first && first.includes('/')) root = `${root}/${first.split('/')[0]}`;
  return root;
}
