// Fuzz target: Ticket and EncTicketPart (what an acceptor decodes from any client).
import { PsRemoteError } from '../../src/errors.js';
import { decodeEncTicketPart, decodeTicket } from '../../src/auth/kerberos/messages/index.js';
import { seedEncTicketPart, seedTicket } from './krb-seeds.js';

export default {
  name: 'krb-ticket',
  seeds: (): Uint8Array[] => [seedTicket(), seedEncTicketPart()],
  run(input: Uint8Array): void {
    for (const parse of [decodeTicket, decodeEncTicketPart]) {
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
};
