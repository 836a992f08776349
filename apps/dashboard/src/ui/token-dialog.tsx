import { useEffect, useRef, useState } from "preact/hooks";

/** Asks for the API token after a 401. Enter submits, Escape dismisses. */
export function TokenDialog({
  open,
  onSubmit,
  onDismiss,
}: {
  open: boolean;
  onSubmit: (token: string) => void;
  onDismiss: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState("");

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setValue("");
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      class="dialog"
      onClose={onDismiss}
      aria-labelledby="token-title"
      data-testid="token-dialog"
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const token = value.trim();
          if (token) onSubmit(token);
        }}
      >
        <h2 id="token-title">API token required</h2>
        <p class="dialog-body">
          This DawsOS server was started with <code>DAWSOS_API_TOKEN</code>. Enter the token to continue; it
          is kept in this tab only (<code>sessionStorage</code>).
        </p>
        <label class="field">
          <span>Token</span>
          <input
            type="password"
            autocomplete="off"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            autoFocus
          />
        </label>
        <div class="dialog-actions">
          <button type="button" onClick={onDismiss}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={value.trim() === ""}>
            Use token
          </button>
        </div>
      </form>
    </dialog>
  );
}
