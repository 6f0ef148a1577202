/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1: challenge = auth-scheme [ token68 / #auth-param ]).
 * A linear scanner, no regex backtracking: the header comes from an untrusted server.
 */
export interface Challenge {
  /** Lower-case scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const MAX_HEADER = 16 * 1024;

export function parseWwwAuthenticate(header: string): Challenge[] {
  const s = header.length > MAX_HEADER ? header.slice(0, MAX_HEADER) : header;
  const out: Challenge[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    // at the opening quote
    i++;
    let value = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      value += s[i];
      i++;
    }
    i++; // closing quote (or end)
    return value;
  };
  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    const scheme = token();
    if (scheme === '') {
      i++; // skip a stray character
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipWs();
    for (;;) {
      const mark = i;
      skipWs();
      const name = token();
      skipWs();
      if (name === '' || s[i] !== '=') {
        // token68 (e.g. "Basic abc==") or the start of the next challenge
        if (name !== '' && Object.keys(challenge.params).length === 0 && (i >= s.length || s[i] === ',')) {
          challenge.params.token68 = name;
        } else {
          i = mark;
        }
        break;
      }
      if (Object.keys(challenge.params).length === 0 && (s[i + 1] === '=' || s[i + 1] === ',' || i + 1 >= s.length)) {
        // token68 with padding ("Negotiate abc==")
        while (s[i] === '=') i++;
        challenge.params.token68 = s.slice(mark, i).trim();
        break;
      }
      i++; // '='
      skipWs();
      const value = s[i] === '"' ? quoted() : token();
      challenge.params[name.toLowerCase()] = value;
      skipWs();
      if (s[i] !== ',') break;
      i++;
      // Another param follows only when "name =" comes next; otherwise a new challenge starts.
      const save = i;
      skipWs();
      token();
      skipWs();
      const isParam = s[i] === '=';
      i = save;
      if (!isParam) break;
    }
  }
  return out;
}
