import { bodyFactory, rawRecords } from './events';
const b = bodyFactory(100, 'bench-abcd1234');
console.log(b.bytesPerEvent, b.sample.length);
const s = bodyFactory(1, 'bench-abcd1234');
console.log(s.bytesPerEvent, s.sample, s.next(), s.next());
const r = rawRecords(100); console.log(r.avgBytes, r.values[3]);
