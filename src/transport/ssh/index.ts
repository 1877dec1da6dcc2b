export { connectSsh, type SshOptions } from './connection.js';
export { checkKnownHosts, sshFingerprint, type KnownHostsVerdict } from './known-hosts.js';
