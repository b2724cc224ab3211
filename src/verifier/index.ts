/**
 * The verifier model: `verify()` checks a program the way the Linux 6.18 verifier does, in process
 * and unprivileged, and answers in the kernel's words.
 * @module
 */
export { verify } from './verify.js';
export type { VerifyOptions, VerifyResult, VerifierMapSpec, VerifyError } from './types.js';
