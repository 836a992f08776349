import { Badge } from "../ui/badge.tsx";
import { formatTime } from "../util/format.ts";

/** live / cached / stale, from a data route's `cached` and `stale` flags. */
export function FreshnessBadge({
  cached,
  stale,
  fetchedAt,
}: {
  cached: boolean;
  stale: boolean;
  fetchedAt: string;
}) {
  const title = `fetched ${formatTime(fetchedAt)}`;
  if (stale)
    return (
      <Badge tone="warn" title={`${title}; the provider failed, so an expired cached value is shown`}>
        stale
      </Badge>
    );
  if (cached)
    return (
      <Badge tone="info" title={title}>
        cached
      </Badge>
    );
  return (
    <Badge tone="ok" title={title}>
      live
    </Badge>
  );
}
