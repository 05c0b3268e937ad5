/**
 * State a workspace keeps while another workspace is shown: the shell
 * unmounts the inactive workspaces (their views and live loops stop), and a
 * workspace that must find its state again on return (the patients
 * workspace's running job, the chosen twin version) keeps it here, under a
 * key of its own, for as long as the shell lives.
 */
import { createContext, useContext, useEffect, useRef, useState, type Dispatch, type ReactNode, type SetStateAction } from 'react';

const KeptContext = createContext<Map<string, unknown> | null>(null);

/** Holds the kept state of the workspaces below it (the shell renders one around them). */
export function KeptStateProvider({ children }: { children: ReactNode }) {
  const store = useRef(new Map<string, unknown>());
  return <KeptContext.Provider value={store.current}>{children}</KeptContext.Provider>;
}

/**
 * Like `useState`, but the value survives the component's unmount: a later
 * mount with the same key starts from the last value (outside a
 * KeptStateProvider it is plain `useState`).
 * @param key unique across workspaces, e.g. "patients.job"
 */
export function useKeptState<T>(key: string, initial: T): [T, Dispatch<SetStateAction<T>>] {
  const store = useContext(KeptContext);
  const [value, setValue] = useState<T>(() => (store?.has(key) ? (store.get(key) as T) : initial));
  useEffect(() => {
    store?.set(key, value);
  }, [store, key, value]);
  return [value, setValue];
}
