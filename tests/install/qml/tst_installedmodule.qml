// SPDX-License-Identifier: MIT
// Run by installer/test-install.sh with qmltestrunner and no import path of ours: "import QPgPool"
// must resolve to the installed qml6-module-qpgpool in Qt's default QML directory. The script
// replaces @QPG_DSN@ with the private server's DSN.
import QtQuick
import QtTest
import QPgPool

TestCase {
    name: "InstalledQPgPool"

    Pool { id: pool; dsn: "@QPG_DSN@"; minSize: 1; maxSize: 1 }

    function test_openAndQuery() {
        pool.open()
        tryCompare(pool, "status", Pool.Open, 15000)
        var rows = null, failure = "unset"
        pool.query("SELECT 1 AS one", [], function(result, error) { rows = result; failure = error })
        tryVerify(function() { return rows !== null }, 15000)
        compare(failure, "")
        compare(rows[0].one, 1)
        pool.close()
        tryCompare(pool, "status", Pool.Closed, 15000)
    }
}
