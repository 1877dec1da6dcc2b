// Faults about session configurations. A Create for a configuration the
// endpoint does not serve is answered as MS-WSMV's ResourceNotFound example
// (section 4, a:DestinationUnreachable with faultDetail/ResourceNotFound): no
// recording shows Windows' answer for an unregistered configuration, so the
// shape is the spec's; the code is ERROR_WSMAN_RESOURCE_NOT_FOUND (0x80338000).

import type { FaultSpec } from './responses.js';

export const CONFIGURATION_NOT_FOUND_FAULT = (name: string): FaultSpec => ({
  code: 'Sender',
  subcode: 'a:DestinationUnreachable',
  reason: 'The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ',
  wsmanCode: 2150858752,
  detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/ResourceNotFound',
  message: `The WS-Management service cannot process the request. Cannot find the ${name} session configuration on this computer. `,
});
