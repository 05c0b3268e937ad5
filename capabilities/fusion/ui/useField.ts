/** A state value with its setter, as the fusion workspace hands its state to the sub-components that edit it. */
import { useState, type Dispatch, type SetStateAction } from 'react';

export interface Field<T> {
  value: T;
  set: Dispatch<SetStateAction<T>>;
}

/** `useState` as a Field. */
export function useField<T>(initial: T | (() => T)): Field<T> {
  const [value, set] = useState<T>(initial);
  return { value, set };
}
