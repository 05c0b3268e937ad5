/** A path field for a recording to replay, offering the example recordings (from the shared data, when present). */
export function RecordingInput(props: {
  label: string;
  listId: string;
  value: string;
  onChange: (path: string) => void;
  placeholder: string;
  recordings: { label: string; path: string }[];
}) {
  return (
    <>
      <input
        aria-label={props.label}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        placeholder={props.placeholder}
        style={{ flex: '1 1 320px', minWidth: 200 }}
        list={props.listId}
      />
      <datalist id={props.listId}>
        {props.recordings.map((r) => (
          <option key={r.path} value={r.path}>
            {r.label}
          </option>
        ))}
      </datalist>
    </>
  );
}
