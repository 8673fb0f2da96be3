/**
 * Throwaway certificates for the local servers' TLS, made with openssl in one directory: a CA, and
 * certificates it signs. Files are named after what they are: `<name>.crt` and `<name>.key`.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function openssl(dir: string, ...args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir, timeout: 30_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error("'openssl' is needed to make the local servers' certificates; install Debian's openssl");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr || e.message}`);
  }
}

/** A self-signed CA: `<name>.crt`, `<name>.key`. */
export async function makeCa(dir: string, { name, subject, days = 7 }: { name: string; subject: string; days?: number }): Promise<void> {
  await openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    subject,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  );
}

/** A key and a certificate signed by the CA `ca`, with `extensions` (openssl extfile lines: SANs, key usage). */
export async function signCert(
  dir: string,
  { ca, name, subject, extensions, days = 7 }: { ca: string; name: string; subject: string; extensions: string; days?: number },
): Promise<void> {
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
}
