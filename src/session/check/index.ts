// psremote check (docs/check.md).
export { checkHost, type CheckOptions } from './check-host.js';
export { formatReport, type CheckItem, type CheckReport, type CheckStatus, type HostFacts, type ConfigurationFacts, type SchemeState } from './report.js';
export { parseExpectations, compareExpectations, formatExpectations, junitReport, configurationsIn, type Expectations, type ExpectationResult } from './expect.js';
export type { CertificateFacts } from './network.js';
