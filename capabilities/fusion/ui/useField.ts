/** A state value with its setter, as the fusion workspace hands its state to the sub-components that edit it. */
import { useState, type Dispatch, type SetStateAction } from 'react';
import { useKeptState } from '../../../renderer/app/keptState.js';

export interface Field<T> {
  value: T;
  set: Dispatch<SetStateAction<T>>;
}

/** `useState` as a Field. */
export function useField<T>(initial: T | (() => T)): Field<T> {
  const [value, set] = useState<T>(initial);
  return { value, set };
}

/**
 * A Field kept while another workspace is shown (the shell unmounts the
 * inactive workspace; `useKeptState`): a later mount starts from the last value
 * instead of `initial`.
 * @param key unique across workspaces, e.g. "fusion.setup"
 */
export function useKeptField<T>(key: string, initial: T): Field<T> {
  const [value, set] = useKeptState<T>(key, initial);
  return { value, set };
}
