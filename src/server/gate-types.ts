// What an authentication gate (auth-gate.ts, credssp-gate.ts) answers for a
// request. In a file of their own so that both gates can name them without
// importing each other.

import type { DelegatedCredential } from '../auth/credssp/delegated.js';

export type GateReply = { readonly kind: 'reply'; readonly status: number; readonly headers: Record<string, string | number | string[]>; readonly body: string; readonly reason: string };

/** What the headers decide: answer now (the body is never kept), or read the body and finish. */
export type GateStep =
  | GateReply
  | {
      readonly kind: 'read';
      /** The authenticated user (its configured name), if any. */
      readonly user: string | undefined;
      /** CredSSP: the user whose credentials were delegated, as the client named it (never the password). */
      readonly delegatedUser?: string | undefined;
      /** CredSSP: the delegated credential itself, for the shell (never logged). */
      readonly delegated?: DelegatedCredential | undefined;
      finish(body: Buffer): GateResult | Promise<GateResult>;
    };

/** What to do with a request: answer it now, or go on with its (unsealed) body. */
export type GateResult =
  | GateReply
  | {
      readonly kind: 'pass';
      readonly body: Buffer;
      readonly user: string | undefined;
      readonly delegatedUser?: string | undefined;
      readonly delegated?: DelegatedCredential | undefined;
      /** Headers for the response (SPNEGO's final NegTokenResp in WWW-Authenticate), also included by seal(). */
      readonly headers?: Record<string, string>;
      seal(status: number, body: string): Sealed | Promise<Sealed> };

export type Sealed = { status: number; headers: Record<string, string | number>; body: Buffer };
