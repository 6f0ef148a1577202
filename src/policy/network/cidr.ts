/**
 * NetworkPolicy `ipBlock` peers: an address matches when it is inside `cidr` and inside none of
 * `except` (networking/v1 IPBlock). Membership uses node:net's BlockList (pure, no I/O).
 */
import { BlockList, isIP } from 'node:net';

export interface CompiledIpBlock {
  readonly cidr: string;
  readonly except: readonly string[];
  readonly family: 4 | 6;
  /** `0.0.0.0/0` or `::/0`: every address of the family, inside and outside the cluster. */
  readonly anywhere: boolean;
  contains(ip: string): boolean;
}

/** The cloud instance metadata endpoint (AWS, GCP, Azure, OpenStack): credentials an attacker wants. */
export const METADATA_IPV4 = '169.254.169.254';

function split(cidr: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return undefined;
  const address = cidr.slice(0, slash);
  const family = isIP(address);
  const prefix = Number(cidr.slice(slash + 1));
  if ((family !== 4 && family !== 6) || !Number.isInteger(prefix)) return undefined;
  return { address, prefix, family };
}

/** Undefined for a CIDR that does not parse (the inventory has already recorded the policy as invalid). */
export function compileIpBlock(cidr: string, except: readonly string[]): CompiledIpBlock | undefined {
  const main = split(cidr);
  if (main === undefined) return undefined;
  const type = main.family === 4 ? 'ipv4' : 'ipv6';
  const inside = new BlockList();
  inside.addSubnet(main.address, main.prefix, type);
  const excluded = new BlockList();
  for (const e of except) {
    const part = split(e);
    if (part !== undefined && part.family === main.family) excluded.addSubnet(part.address, part.prefix, type);
  }
  return {
    cidr,
    except,
    family: main.family,
    anywhere: main.prefix === 0,
    contains: (ip) => {
      const family = isIP(ip);
      if (family !== main.family) return false;
      return inside.check(ip, type) && !excluded.check(ip, type);
    },
  };
}
