-- SPDX-License-Identifier: MIT
-- The 4-column pool workload.
SELECT i, i::text, i::float8, now() FROM generate_series(1, 1000) i;
