-- SPDX-License-Identifier: MIT
-- MagicStack/pgbench 2-generate_series.
\set n 1000
SELECT i FROM generate_series(1, :n) AS i;
