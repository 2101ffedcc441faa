import { AdmissionBook } from '../../src/store/admission-book.js';
import { MemoryAdmission } from '../../src/store/memory-admission.js';
import { admissionContract, TTL } from './admission-contract.js';

admissionContract('memory', () => {
  const book = new AdmissionBook();
  const a = new MemoryAdmission({ book, leaseTtlMs: TTL });
  const b = new MemoryAdmission({ book, leaseTtlMs: TTL });
  return {
    a,
    b,
    heartbeat: async (which, now) => (which === 'a' ? a : b).heartbeat(now),
    close: async () => {},
  };
});
