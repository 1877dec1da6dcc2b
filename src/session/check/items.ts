// The findings of `psremote check`, read off the facts: each with its evidence
// and, for a warning or a failure, the fix an administrator would apply on the
// Windows side (winrm/config, listeners, certificates).

import { isIP } from 'node:net';
import { WEAK_SIGNATURES } from './network.js';
import type { CheckItem, HostFacts } from './report.js';

/** Kerberos refuses clocks further apart than this (MIT's and Windows' default skew). */
const MAX_SKEW_S = 300;

/** `o`: the part of checkHost's options the advice depends on. */
export function itemsFor(f: HostFacts, errors: Readonly<Record<string, string>>, o: { readonly credential?: { readonly username: string } | undefined }): CheckItem[] {
  const items: CheckItem[] = [];
  const add = (i: CheckItem) => items.push(i);
  const url = new URL(f.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const hostPort = `${host}:${url.port || (f.https ? 443 : 80)}`;

  if (errors.dns) add({ id: 'dns', status: 'fail', title: 'name resolution', evidence: errors.dns, fix: `check the name ${host} and the DNS or hosts file` });
  else add({ id: 'dns', status: 'pass', title: 'name resolution', evidence: `${host} → ${(f.addresses ?? []).join(', ')}` });
  if (isIP(host)) add({ id: 'dns.ip', status: 'info', title: 'address given', evidence: `${host} is an IP address: Kerberos needs a host name (an SPN), so only NTLM, Basic or certificates can authenticate` });
  if (!errors.dns) {
    if (f.tcp) add({ id: 'tcp', status: 'pass', title: 'TCP', evidence: `${hostPort} accepts connections` });
    else add({ id: 'tcp', status: 'fail', title: 'TCP', evidence: errors.tcp ?? 'no connection', fix: 'start WinRM with a listener on this port (Enable-PSRemoting, winrm quickconfig) and open the firewall' });
  }
  if (f.https) add({ id: 'transport', status: 'pass', title: 'transport', evidence: 'https' });
  else add({ id: 'transport', status: 'warn', title: 'transport', evidence: 'plain http: the SOAP is protected only by message encryption of the auth scheme', fix: 'add an HTTPS listener (winrm create winrm/config/Listener?Address=*+Transport=HTTPS) and use it' });

  const c = f.certificate;
  if (errors.tls) add({ id: 'tls', status: 'fail', title: 'TLS handshake', evidence: errors.tls, fix: 'check the HTTPS listener and its certificate binding' });
  if (c) {
    add(c.trusted ? { id: 'tls.certificate.trust', status: 'pass', title: 'certificate chain', evidence: `issued by ${c.issuer}` } : { id: 'tls.certificate.trust', status: 'fail', title: 'certificate chain', evidence: `${c.trustError} (issuer ${c.issuer})`, fix: 'use a certificate from a CA the clients trust, or give the CA with --ca' });
    add(c.nameMatches ? { id: 'tls.certificate.name', status: 'pass', title: 'certificate name', evidence: `valid for ${c.names.join(', ')}` } : { id: 'tls.certificate.name', status: 'fail', title: 'certificate name', evidence: `${c.nameError}; the certificate names ${c.names.join(', ') || 'nothing'}`, fix: `connect with a name the certificate holds, or issue one for ${host}` });
    if (c.daysLeft < 0) add({ id: 'tls.certificate.expiry', status: 'fail', title: 'certificate expiry', evidence: `expired on ${c.validTo} (${-c.daysLeft} days ago)`, fix: 'renew the certificate and bind the new one to the listener' });
    else if (c.daysLeft < 30) add({ id: 'tls.certificate.expiry', status: 'warn', title: 'certificate expiry', evidence: `expires on ${c.validTo}, in ${c.daysLeft} days`, fix: 'renew the certificate before it expires' });
    else add({ id: 'tls.certificate.expiry', status: 'pass', title: 'certificate expiry', evidence: `valid until ${c.validTo} (${c.daysLeft} days)` });
    if (c.keyBits !== null && c.keyBits < 2048 && !/^(ecdsa|Ed)/.test(c.signatureAlgorithm)) add({ id: 'tls.certificate.key', status: 'warn', title: 'certificate key', evidence: `${c.keyBits}-bit key`, fix: 'use a key of at least 2048 bits' });
    else add({ id: 'tls.certificate.key', status: 'pass', title: 'certificate key', evidence: `${c.keyBits ?? '?'}-bit key` });
    add(WEAK_SIGNATURES.has(c.signatureAlgorithm) ? { id: 'tls.certificate.signature', status: 'warn', title: 'certificate signature', evidence: c.signatureAlgorithm, fix: 'reissue the certificate with SHA-256 or better' } : { id: 'tls.certificate.signature', status: 'pass', title: 'certificate signature', evidence: c.signatureAlgorithm });
  }
  if (errors.challenge) add({ id: 'http', status: 'fail', title: 'WinRM over HTTP', evidence: errors.challenge, fix: 'check that this URL is a WinRM listener (the path is usually /wsman)' });
  if (f.clockSkewSeconds !== undefined && f.clockSkewSeconds !== null) {
    const s = f.clockSkewSeconds;
    add(Math.abs(s) > MAX_SKEW_S ? { id: 'clock', status: 'warn', title: 'clock', evidence: `the server's clock is ${s} s ${s > 0 ? 'ahead of' : 'behind'} this machine's`, fix: 'synchronise the clocks (w32tm); Kerberos fails beyond five minutes' } : { id: 'clock', status: 'pass', title: 'clock', evidence: `${s} s from this machine's (HTTP Date)` });
  }
  if (f.identify) add({ id: 'identify', status: 'pass', title: 'Identify', evidence: `${f.identify.productVendor ?? '?'} ${f.identify.productVersion ?? ''}, protocol ${f.identify.protocolVersion ?? '?'}${f.identify.anonymous ? ' (anonymous)' : ''}`.replace(/\s+/g, ' ') });
  else if (f.tcp) add({ id: 'identify', status: 'info', title: 'Identify', evidence: 'not answered' });

  const a = f.auth;
  if (f.tcp && !errors.challenge) add({ id: 'auth.offered', status: 'info', title: 'schemes offered', evidence: a.offered.join(', ') || 'none' });
  if (!f.https && a.schemes.basic !== 'off') add({ id: 'auth.basic', status: 'warn', title: 'Basic over http', evidence: `Basic is ${a.schemes.basic} over plain http`, fix: 'winrm set winrm/config/service/auth @{Basic="false"}, or use HTTPS' });
  else add({ id: 'auth.basic', status: 'pass', title: 'Basic', evidence: a.schemes.basic === 'off' ? 'not offered' : `${a.schemes.basic} over https` });
  if (a.unencrypted === 'accepted') add({ id: 'auth.unencrypted', status: 'warn', title: 'unencrypted SOAP', evidence: 'accepted over plain http (AllowUnencrypted)', fix: 'winrm set winrm/config/service @{AllowUnencrypted="false"}' });
  else if (a.unencrypted === 'refused') add({ id: 'auth.unencrypted', status: 'pass', title: 'unencrypted SOAP', evidence: 'refused over plain http' });
  else if (a.unencrypted === 'unknown') add({ id: 'auth.unencrypted', status: 'info', title: 'unencrypted SOAP', evidence: 'not tried (no credentials)' });
  if (errors.authSkipped) add({ id: 'auth.usable', status: 'fail', title: 'authentication', evidence: `not tried: ${errors.authSkipped}`, fix: 'fix the certificate findings above, or give its CA with --ca and the name it holds with --servername' });
  else if (o.credential) {
    add(a.usable.length > 0 ? { id: 'auth.usable', status: 'pass', title: 'authentication', evidence: `${o.credential.username} authenticated with ${a.usable.join(', ')}` } : { id: 'auth.usable', status: 'fail', title: 'authentication', evidence: `no scheme psremote can use accepted ${o.credential.username} (offered: ${a.offered.join(', ') || 'none'})`, fix: 'check the user name and password, and that a scheme psremote speaks (Basic, Negotiate/NTLM) is enabled' });
  }
  const k = f.kerberos;
  if (k) {
    if (k.spn === null) add({ id: 'auth.kerberos', status: 'info', title: 'Kerberos', evidence: `not tried for ${k.principal}: ${k.error}` });
    else if (!k.error) add({ id: 'auth.kerberos', status: 'pass', title: 'Kerberos', evidence: `${k.principal} got a ticket for ${k.spn} and the server accepted it` });
    else
      add({
        id: 'auth.kerberos',
        status: 'fail',
        title: 'Kerberos',
        evidence: `${k.ticket ? `a ticket for ${k.spn} was had, but ` : `no ticket for ${k.spn}: `}${k.error}`,
        fix: /PRINCIPAL_UNKNOWN/.test(k.error) ? `register the SPN on the computer account (setspn -S ${k.spn} <computer>), or connect by the name it is registered for` : /CLOCK_SKEW/.test(k.error) ? 'synchronise the clocks with the domain (w32tm)' : 'check the principal, its password or keytab, and the realm in krb5.conf',
      });
  }
  if (a.channelBinding !== 'not applicable' && a.channelBinding !== 'unknown') add({ id: 'auth.channelBinding', status: 'info', title: 'channel binding', evidence: `${a.channelBinding} (NTLM without channel bindings ${a.channelBinding === 'required' ? 'refused' : 'accepted'})` });

  if (f.limits.readable) {
    const l = f.limits.config;
    const facts = [
      ['MaxEnvelopeSizekb', l.maxEnvelopeSizeKb],
      ['MaxTimeoutms', l.maxTimeoutMs],
      ['MaxConcurrentOperationsPerUser', l.service.maxConcurrentOperationsPerUser],
      ['MaxShellsPerUser', l.winrs.maxShellsPerUser],
      ['IdleTimeout', l.winrs.idleTimeoutMs],
      ['MaxMemoryPerShellMB', l.winrs.maxMemoryPerShellMB],
    ].filter(([, v]) => v !== undefined);
    add({ id: 'limits', status: 'info', title: 'limits', evidence: facts.map(([k, v]) => `${k} ${v}`).join(', ') || 'none in the answer' });
  } else add({ id: 'limits', status: 'info', title: 'limits', evidence: `not readable (${f.limits.reason}); reading winrm/config needs administrator rights` });

  const pr = f.probes;
  if (pr?.error) add({ id: 'probe.idle', status: 'info', title: 'idle shell lifetime', evidence: `probe failed: ${pr.error}` });
  else if (pr?.idleProbeSeconds !== undefined) {
    add(
      pr.idleLifetimeSeconds === null
        ? { id: 'probe.idle', status: 'pass', title: 'idle shell lifetime', evidence: `a shell with no outstanding Receive outlived the ${pr.idleProbeSeconds} s probe` }
        : { id: 'probe.idle', status: 'warn', title: 'idle shell lifetime', evidence: `a shell with no outstanding Receive was dropped after about ${pr.idleLifetimeSeconds} s`, fix: 'clients must keep a Receive outstanding (PowerShell and psremote do) or reconnect; IdleTimeout does not govern this' },
    );
  }
  for (const [name, p] of Object.entries(f.configurations)) {
    const id = `configuration.${name}`;
    if (!p.opens) {
      add({ id, status: 'fail', title: `configuration ${name}`, evidence: `does not open: ${p.error}`, fix: 'check that the configuration is registered (Get-PSSessionConfiguration) and that the user may use it' });
      continue;
    }
    add({ id, status: 'pass', title: `configuration ${name}`, evidence: `opens: PowerShell ${p.psVersion ?? '?'}, protocol ${p.protocolVersion ?? '?'}, ${p.languageMode ?? 'language mode unknown'}` });
    if (p.commands) add({ id: `${id}.commands`, status: 'info', title: `configuration ${name} commands`, evidence: `${p.commands.length} visible${p.commands.length <= 20 ? `: ${p.commands.join(', ')}` : ''}` });
    if (p.disconnect === false) add({ id: `${id}.disconnect`, status: 'warn', title: `configuration ${name} disconnect`, evidence: 'Disconnect/Reconnect failed', fix: 'robust sessions need PowerShell 3 or later on the server' });
    else if (p.disconnect) add({ id: `${id}.disconnect`, status: 'pass', title: `configuration ${name} disconnect`, evidence: 'Disconnect and Reconnect work' });
  }
  return items;
}
