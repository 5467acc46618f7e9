-- SPDX-License-Identifier: MIT
-- MagicStack/pgbench 7-oneplusone.
SELECT 1+1;
