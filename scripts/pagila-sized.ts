// The small real-world database of the benchmarks: the Pagila-like fixture (the public Pagila sample's
// shape, tests/fixtures/schemas/pagila-like.sql) grown to about 10,000 rows with more rentals and payments.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const FIXTURE = readFileSync(join(resolve(import.meta.dirname, '..'), 'tests', 'fixtures', 'schemas', 'pagila-like.sql'), 'utf8');

/** The fixture's schema alone (everything before its data). */
export const PAGILA_SCHEMA = FIXTURE.slice(0, FIXTURE.search(/^-- @@ data @@$/m));

/** 4,000 more rentals, 45 minutes apart between the fixture's (Jan–May 2022, payment's partitions), each with its payment. */
const MORE_ROWS = `
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
SELECT g, TIMESTAMPTZ '2022-01-01 00:07:00+00' + (g - 300) * INTERVAL '45 minutes', 1 + (g * 11) % 200, 1 + (g * 17) % 100,
       TIMESTAMPTZ '2022-01-02 00:07:00+00' + (g - 300) * INTERVAL '45 minutes', 1 + g % 4, '2022-02-15 09:57:20+00'
FROM generate_series(301, 4300) g;
INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
SELECT 400 + r.rental_id, r.customer_id, r.staff_id, r.rental_id, 2.99, r.rental_date + INTERVAL '3 hours' FROM rental r WHERE r.rental_id > 300;
SELECT setval('rental_rental_id_seq', 4300);
SELECT setval('payment_payment_id_seq', 4700);
`;

/** Schema and rows of the Pagila-sized database, as one SQL text. */
export const PAGILA_SIZED_SQL = FIXTURE + MORE_ROWS;
