// What `info --ciphers` can say without the addon expanding the string: the explicit TLS 1.2
// suite names in it and the bulk cipher each one uses (the part an engine can serve).
// Keywords (HIGH, ECDHE+AESGCM, !aNULL, @STRENGTH...) need the addon's own OpenSSL to expand:
// Node's OpenSSL 3 and the system `openssl` are other libraries with other lists.

export interface SuiteGuess {
  name: string;
  /** The EVP cipher name as engines report them (e.g. AES-128-CBC); undefined if unknown. */
  bulk: string | undefined;
}

const KEYWORD = /^(?:[!+\-@]|ALL$|DEFAULT$|COMPLEMENTOF|HIGH$|MEDIUM$|LOW$|SECLEVEL|SUITEB|TLSv|SSLv)|[+]/;

/** Tokens of a cipher string that are keywords rather than suite names. */
export function cipherKeywords(cipherString: string): string[] {
  return splitCipherString(cipherString).filter((t) => KEYWORD.test(t) || !t.includes('-') || /^[a-z]/.test(t));
}

export function splitCipherString(cipherString: string): string[] {
  return cipherString.split(/[:, ]+/).filter((t) => t !== '');
}

function bits(name: string, family: string): string | undefined {
  const m = new RegExp(`${family}(128|256)`).exec(name);
  return m ? m[1] : undefined;
}

/** The bulk cipher a TLS 1.2 suite name implies, by OpenSSL's naming rules. */
export function bulkCipherOf(name: string): string | undefined {
  if (name.includes('CHACHA20')) return 'ChaCha20-Poly1305';
  for (const family of ['AES', 'CAMELLIA', 'ARIA']) {
    const size = bits(name, family);
    if (size === undefined) continue;
    if (name.includes('GCM')) return `${family}-${size}-GCM`;
    if (name.includes('CCM8')) return `${family}-${size}-CCM8`;
    if (name.includes('CCM')) return `${family}-${size}-CCM`;
    return `${family}-${size}-CBC`;
  }
  if (name.includes('DES-CBC3')) return 'DES-EDE3-CBC';
  if (name.includes('SEED')) return 'SEED-CBC';
  if (name.includes('IDEA')) return 'IDEA-CBC';
  if (name.includes('RC4')) return 'RC4';
  return undefined;
}

export function explicitSuites(cipherString: string): SuiteGuess[] {
  const keywords = new Set(cipherKeywords(cipherString));
  return splitCipherString(cipherString)
    .filter((t) => !keywords.has(t))
    .map((name) => ({ name, bulk: bulkCipherOf(name) }));
}
