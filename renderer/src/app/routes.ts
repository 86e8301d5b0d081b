export type Route =
  | { name: 'overview' }
  | { name: 'members' }
  | { name: 'org'; id: string }
  | { name: 'devices' }
  | { name: 'device'; id: string }
  | { name: 'identity' }
  | { name: 'settings' }
  | { name: 'explorer' }
  | { name: 'block'; height: number }
  | { name: 'tx'; hash: string }
  | { name: 'subject'; id: string };

export type ExplorerRoute = Extract<Route, { name: 'explorer' | 'block' | 'tx' | 'subject' }>;

export type Section = 'overview' | 'members' | 'devices' | 'identity' | 'explorer' | 'settings';

/** Organisation and device ids alike: 20 bytes as lower-case hex. */
const ORG_ID = /^[0-9a-f]{40}$/;

/** `#/explorer/block/5` and friends; anything unknown (or not valid percent-encoding) shows the overview. */
export function parseRoute(hash: string): Route {
  let parts: string[];
  try {
    parts = hash.replace(/^#\/?/, '').split('/').map((part) => decodeURIComponent(part));
  } catch {
    return { name: 'overview' };
  }
  const [section, kind, value = ''] = parts;
  if (section === 'identity' || section === 'settings') return { name: section };
  if (section === 'members') return kind === 'org' && ORG_ID.test(value) ? { name: 'org', id: value } : { name: 'members' };
  if (section === 'devices') return kind !== undefined && ORG_ID.test(kind) ? { name: 'device', id: kind } : { name: 'devices' };
  if (section !== 'explorer') return { name: 'overview' };
  if (kind === 'block' && /^\d+$/.test(value)) return { name: 'block', height: Number(value) };
  if (kind === 'tx' && /^[0-9a-f]{64}$/.test(value)) return { name: 'tx', hash: value };
  if (kind === 'subject' && value !== '') return { name: 'subject', id: value };
  return { name: 'explorer' };
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case 'block':
      return `#/explorer/block/${route.height}`;
    case 'tx':
      return `#/explorer/tx/${route.hash}`;
    case 'subject':
      return `#/explorer/subject/${encodeURIComponent(route.id)}`;
    case 'org':
      return `#/members/org/${route.id}`;
    case 'device':
      return `#/devices/${route.id}`;
    case 'overview':
    case 'members':
    case 'devices':
    case 'identity':
    case 'explorer':
    case 'settings':
      return `#/${route.name}`;
  }
}

export function sectionOf(route: Route): Section {
  switch (route.name) {
    case 'block':
    case 'tx':
    case 'subject':
      return 'explorer';
    case 'org':
      return 'members';
    case 'device':
      return 'devices';
    case 'overview':
    case 'members':
    case 'devices':
    case 'identity':
    case 'explorer':
    case 'settings':
      return route.name;
  }
}
