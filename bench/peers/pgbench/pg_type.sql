-- SPDX-License-Identifier: MIT
-- MagicStack/pgbench 1-pg_type: with -M prepared the variables are bound as parameters $1, $2.
\set typmod -1
\set defined true
select typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, typisdefined, typdelim, typrelid, typelem, typarray from pg_type where typtypmod = :typmod and typisdefined = :defined;
