-- SPDX-License-Identifier: MIT
-- MagicStack/pgbench 4-arrays; pgbench_bench.py creates the table.
SELECT * FROM _qpgbench_arrays_pgbench;
