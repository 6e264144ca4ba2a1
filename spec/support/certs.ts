import * as fs from 'node:fs';
import * as path from 'node:path';

/** The fixture certificates of spec/support/certs (made by make.sh there). */
const read = (name: string) => fs.readFileSync(path.join(__dirname, 'certs', name));

export const CA = read('ca.pem');
/** localhost, 127.0.0.1 and ::1. */
export const SERVER = { cert: read('server.pem'), key: read('server-key.pem') };
/** other.example only. */
export const OTHER = { cert: read('other.pem'), key: read('other-key.pem') };
/** localhost and 127.0.0.1, expired in 2021. */
export const EXPIRED = { cert: read('expired.pem'), key: read('expired-key.pem') };
export const CLIENT = { cert: read('client.pem'), key: read('client-key.pem') };
