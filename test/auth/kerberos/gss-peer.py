#!/usr/bin/python3
# An independent GSS-API peer for psremote's Kerberos tests: Debian's
# python3-gssapi over MIT's libgssapi_krb5. Driven over stdin/stdout with one
# JSON object per line (bytes in base64); it acts as acceptor (keytab from
# KRB5_KTNAME) or initiator (ccache from KRB5CCNAME) and then wraps, unwraps,
# signs and verifies on the established context, with gss_wrap/gss_unwrap and
# the gss_wrap_iov(HEADER, DATA, PADDING) layout WinRM uses.
import base64
import json
import sys

import gssapi
import gssapi.raw as raw

b64 = lambda b: base64.b64encode(b).decode() if b is not None else None
unb64 = lambda s: base64.b64decode(s) if s else b''

ctx = None
out_dir = None


def bindings(msg):
    cb = msg.get('cb')
    return gssapi.raw.ChannelBindings(application_data=unb64(cb)) if cb else None


def handle(msg):
    global ctx
    op = msg['op']
    if op == 'accept':
        if ctx is None:
            ctx = gssapi.SecurityContext(usage='accept', creds=gssapi.Credentials(usage='accept'), channel_bindings=bindings(msg))
        token = ctx.step(unb64(msg['token']))
        res = {'token': b64(token), 'complete': ctx.complete}
        if ctx.complete:
            res['initiator'] = str(ctx.initiator_name)
            res['flags'] = int(ctx.actual_flags)
            d = ctx.delegated_creds
            res['delegated'] = str(d.name) if d is not None else None
            if d is not None and msg.get('store'):
                d.store(store={'ccache': 'FILE:' + msg['store']}, overwrite=True)
        return res
    if op == 'init':
        name = gssapi.Name(msg['spn'], gssapi.NameType.hostbased_service)
        flags = gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.replay_detection | gssapi.RequirementFlag.out_of_sequence_detection
        if msg.get('delegate'):
            flags |= gssapi.RequirementFlag.delegate_to_peer
        ctx = gssapi.SecurityContext(name=name, usage='initiate', flags=flags, channel_bindings=bindings(msg))
        token = ctx.step()
        return {'token': b64(token), 'complete': ctx.complete}
    if op == 'step':
        token = ctx.step(unb64(msg['token']))
        return {'token': b64(token), 'complete': ctx.complete}
    if op == 'wrap':
        return {'token': b64(ctx.wrap(unb64(msg['data']), True).message)}
    if op == 'unwrap':
        r = ctx.unwrap(unb64(msg['token']))
        return {'data': b64(r.message), 'encrypted': r.encrypted}
    if op == 'wrap_iov':
        iov = raw.IOV(raw.IOVBufferType.header, unb64(msg['data']), raw.IOVBufferType.padding, std_layout=False)
        raw.wrap_iov(ctx, iov, confidential=True)
        return {'header': b64(iov[0].value), 'data': b64(iov[1].value), 'padding': b64(iov[2].value or b'')}
    if op == 'unwrap_iov':
        # (type, allocate, value)
        iov = raw.IOV((raw.IOVBufferType.header, False, unb64(msg['header'])), (raw.IOVBufferType.data, False, unb64(msg['data'])), std_layout=False)
        raw.unwrap_iov(ctx, iov)
        return {'data': b64(iov[1].value)}
    if op == 'mic':
        return {'token': b64(ctx.get_signature(unb64(msg['data'])))}
    if op == 'verify_mic':
        ctx.verify_signature(unb64(msg['data']), unb64(msg['token']))
        return {'ok': True}
    if op == 'session_key':
        # MIT's inquire_sec_context_by_oid(GSS_C_INQ_SSPI_SESSION_KEY): the key the tokens use.
        oid = gssapi.raw.OID.from_int_seq('1.2.840.113554.1.2.2.5.5')
        data = raw.inquire_sec_context_by_oid(ctx, oid)
        return {'key': b64(data[0]), 'enctype': int.from_bytes(data[1][-4:], 'big') if len(data) > 1 else None}
    raise ValueError('unknown op ' + op)


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        res = handle(json.loads(line))
    except gssapi.exceptions.GSSError as e:
        res = {'error': e.gen_message(), 'maj': e.maj_code, 'min': e.min_code}
    except Exception as e:  # noqa: BLE001 - reported to the test as an error
        res = {'error': '%s: %s' % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(res) + '\n')
    sys.stdout.flush()
