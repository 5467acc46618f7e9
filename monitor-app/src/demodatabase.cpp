// SPDX-License-Identifier: MIT
#include "demodatabase.h"

using namespace Qt::Literals::StringLiterals;

namespace QPg::Monitor {

DemoDatabase::DemoDatabase() = default;

DemoDatabase::~DemoDatabase()
{
    stop();
}

bool DemoDatabase::start(QString *errorMessage)
{
    if (!m_cluster.start(errorMessage))
        return false;
    const QString schema = uR"sql(
CREATE TABLE customers (
    id int PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    country text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (id, name, email, country, created_at)
SELECT g, 'Customer ' || g, 'customer' || g || '@example.com',
       (ARRAY['DE', 'FR', 'US', 'JP', 'BR', 'IN'])[1 + g % 6], now() - g * interval '1 hour'
FROM generate_series(1, %1) AS g;
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    amount numeric(10, 2) NOT NULL,
    status text NOT NULL,
    ordered_at timestamptz NOT NULL
);
INSERT INTO orders (customer_id, amount, status, ordered_at)
SELECT 1 + (g * 7919) % %1, round((random() * 500)::numeric, 2),
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4], now() - g * interval '5 minutes'
FROM generate_series(1, %2) AS g;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
ANALYZE customers;
ANALYZE orders;
)sql"_s.arg(customerCount())
                                 .arg(orderCount());
    QString psqlError;
    if (!QPg::Dev::PrivateCluster::runPsql(m_cluster.dsn(), {u"-c"_s, schema}, nullptr, &psqlError)) {
        if (errorMessage)
            *errorMessage = u"loading the demo schema failed: %1"_s.arg(psqlError);
        m_cluster.stop();
        return false;
    }
    return true;
}

void DemoDatabase::stop()
{
    m_cluster.stop();
}

QString DemoDatabase::dsn() const
{
    return m_cluster.dsn();
}

QString DemoDatabase::loadQuery()
{
    return u"SELECT count(*) AS orders, sum(amount) AS total, pg_sleep(random() * 0.02) "
           "FROM orders WHERE customer_id = 1 + (random() * 999)::int"_s;
}

} // namespace QPg::Monitor
