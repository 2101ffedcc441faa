// Model aliases as written (`aliases:` and `modelMap:` merged) → what the runtime serves: plain aliases (one
// name → one target) and fallback groups (one name → an ordered list of `provider/model` targets).
import { findProvider } from '../providers/catalog.js';
import { formatIssue, type ConfigIssue } from './errors.js';
import type { Locate, WrittenAlias } from './validate.js';

export interface ResolvedAliases {
  /** Name → `provider/model` or another alias (followed at request time). */
  aliases: Record<string, string>;
  /** Name → its targets, in order, each `provider/model` with a canonical provider name. */
  groups: Record<string, string[]>;
}

/** `google/x` → `gemini/x`: a catalog provider's alias made canonical; anything else as written. */
function canonical(to: string): string {
  const slash = to.indexOf('/');
  const info = slash > 0 ? findProvider(to.slice(0, slash)) : undefined;
  return info ? `${info.name}${to.slice(slash)}` : to;
}

/**
 * Plain aliases keep their meaning (prefix made canonical, loops are errors, an unconfigured provider a warning).
 * Groups do not nest: a group's target naming another group is an error (flattening would hide which list a
 * target's position came from, and a cycle could not arise); a target naming a plain alias is that alias's
 * target. A target whose provider keymux does not know at all is an error; one whose provider is known but has
 * no keys is a warning and is skipped when serving (so one config file serves machines with different keys),
 * but a group none of whose targets can be served is an error. A plain alias naming a group is that group.
 */
export function resolveAliases(
  written: Readonly<Record<string, WrittenAlias>>,
  configured: readonly string[],
  locate: Locate,
  issues: ConfigIssue[],
  warnings: string[],
): ResolvedAliases {
  const aliases: Record<string, string> = {};
  const lists: Record<string, readonly string[]> = {};
  for (const [from, { to, section }] of Object.entries(written)) {
    if (typeof to !== 'string') {
      lists[from] = to;
      continue;
    }
    aliases[from] = canonical(to);
    const slash = to.indexOf('/');
    const info = slash > 0 ? findProvider(to.slice(0, slash)) : undefined;
    if (info && !configured.includes(info.name)) {
      warnings.push(formatIssue({ ...locate([section, from]), message: `${info.name} is not configured (no keys), so this alias cannot be served` }));
    }
  }
  const looped = new Set<string>();
  for (const from of Object.keys(aliases)) {
    const seen = new Set([from]);
    for (let cur = aliases[from]; cur !== undefined; cur = aliases[cur]) {
      if (seen.has(cur)) {
        looped.add(from);
        issues.push({ ...locate([written[from]?.section ?? 'aliases', from]), message: `aliases loop: ${[...seen, cur].join(' → ')}` });
        break;
      }
      seen.add(cur);
    }
  }
  /** Where a chain of plain aliases ends (itself when it is none). */
  const follow = (name: string): string => {
    let cur = name;
    for (let n = 0; aliases[cur] !== undefined && n <= Object.keys(aliases).length; n++) cur = aliases[cur]!;
    return cur;
  };

  const groups: Record<string, string[]> = {};
  for (const [from, list] of Object.entries(lists)) {
    const section = written[from]?.section ?? 'aliases';
    const targets: string[] = [];
    let servable = 0;
    list.forEach((raw, i) => {
      const at = locate([section, from, i]);
      if (looped.has(raw)) return;
      const to = canonical(follow(raw));
      if (lists[to] !== undefined) {
        issues.push({ ...at, message: `"${raw}" is a fallback group; groups do not nest: list its targets here instead` });
        return;
      }
      const slash = to.indexOf('/');
      const head = slash > 0 ? to.slice(0, slash) : undefined;
      if (head === undefined || (!configured.includes(head) && !findProvider(head))) {
        const via = to === raw ? '' : ` (through aliases: ${to})`;
        const known = configured.length > 0 ? `configured: ${configured.join(', ')}` : 'none is configured';
        issues.push({ ...at, message: `"${raw}"${via}: a group's target is provider/model with a known provider (${known})` });
        return;
      }
      if (!configured.includes(head)) {
        warnings.push(formatIssue({ ...at, message: `${head} is not configured (no keys): this target is skipped` }));
      } else servable++;
      targets.push(to);
    });
    if (targets.length === list.length && servable === 0) {
      issues.push({ ...locate([section, from]), message: 'no target of this fallback group has a configured provider (no keys), so it cannot be served' });
    }
    groups[from] = targets;
  }
  // A plain alias whose chain ends at a group is the group under another name.
  for (const from of Object.keys(aliases)) {
    if (looped.has(from)) continue;
    const end = follow(from);
    const g = groups[end];
    if (g !== undefined) {
      groups[from] = g;
      delete aliases[from];
    }
  }
  return { aliases, groups };
}
