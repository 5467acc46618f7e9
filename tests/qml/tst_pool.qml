// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import QPgPool

TestCase {
    name: "QmlPool"

    Pool { id: pool; dsn: testDsn; minSize: 1; maxSize: 3; statsInterval: 50 }
    Pool { id: refused; dsn: wrongPasswordDsn; minSize: 1; maxSize: 1 }

    function test_openQueryStatsClose() {
        compare(pool.status, Pool.Closed)
        pool.open()
        tryCompare(pool, "status", Pool.Open, 10000)
        compare(pool.size, 1)

        var rows = null, failure = "unset"
        pool.query("SELECT $1::int + 1 AS n, 'hi' AS s, NULL::text AS nothing", [41],
                   function(result, error) { rows = result; failure = error })
        tryVerify(function() { return rows !== null }, 10000)
        compare(failure, "")
        compare(rows.length, 1)
        compare(rows[0].n, 42)
        compare(rows[0].s, "hi")
        verify(rows[0].nothing === null || rows[0].nothing === undefined)

        tryVerify(function() { return pool.stats.acquires >= 1 }, 5000)
        compare(pool.connections.length, 1)
        verify(pool.connections[0].backendPid > 0)

        var message = null
        pool.query("SELECT * FROM no_such_table", [], function(result, error) { message = error })
        tryVerify(function() { return message !== null }, 10000)
        verify(message.indexOf("no_such_table") >= 0)

        pool.close()
        tryCompare(pool, "status", Pool.Closed, 10000)
        compare(pool.size, 0)
    }

    function test_refusedOpenReportsError() {
        refused.open()
        tryCompare(refused, "status", Pool.Error, 10000)
        verify(refused.errorString.indexOf("password") >= 0)
    }
}
