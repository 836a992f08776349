import type { ComponentChildren } from "preact";

export type BadgeTone = "ok" | "warn" | "bad" | "info" | "muted";

export function Badge({
  tone,
  children,
  title,
}: {
  tone: BadgeTone;
  children: ComponentChildren;
  title?: string;
}) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}
