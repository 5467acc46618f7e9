// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import QPgPool

TestCase {
    name: "QmlQueryModel"
    width: 400
    height: 400
    when: windowShown

    Pool { id: db; dsn: testDsn; minSize: 1; maxSize: 6; statsInterval: 20 }

    QueryModel {
        id: numbers
        property var seen: []
        pool: db
        query: "SELECT n AS id, 'row ' || n AS label FROM generate_series(1, $1::int) AS n"
        arguments: [3]
        onStatusChanged: seen.push(numbers.status)
    }

    QueryModel { id: broken; pool: db; query: "SELECT * FROM no_such_table" }

    QueryModel {
        id: bound
        pool: db
        query: "SELECT $1::text AS s, $2::int * 2 AS twice, $3::date AS d, $4::bool AS b"
        arguments: ["it's", 21, null, true]
    }

    // A pool of its own, so its statistics count this model's runs only.
    Pool { id: quiet; dsn: testDsn; minSize: 1; maxSize: 2; statsInterval: 20 }
    QueryModel { id: coalesced; pool: quiet }

    QueryModel {
        id: shown
        pool: db
        query: "SELECT n AS id, 'item ' || n AS label FROM generate_series(1, 4) AS n"
    }
    ListView {
        id: list
        width: 200; height: 200
        model: shown
        delegate: Text { height: 20; text: id + ":" + label }
    }
    TableView {
        id: table
        x: 200; width: 200; height: 200
        model: shown
        delegate: Item {
            property alias text: cell.text
            implicitWidth: 60
            implicitHeight: 20
            Text { id: cell; text: display }
        }
    }

    QueryModel { id: live; pool: db; keyColumns: ["id"]; refreshDelay: 10 }
    SignalSpy { id: liveRefreshed; target: live; signalName: "refreshed" }

    // A second pool element, reopened by a test: its model follows it to the new QPg::Pool.
    Pool { id: reopened; dsn: testDsn; minSize: 1; maxSize: 2 }
    QueryModel { id: backend; pool: reopened; query: "SELECT pg_backend_pid() AS pid" }

    QueryModel { id: invokables; pool: db }

    // The columns (and so the role names) change with the query; delegates see the new ones.
    QueryModel { id: reshaped; pool: db; query: "SELECT 'first' AS a" }
    ListView {
        id: reshapedList
        y: 200; width: 200; height: 100
        model: reshaped
        delegate: Text { height: 20; text: model.b !== undefined ? "b=" + model.b : "a=" + model.a }
    }

    // Runs sql through the Pool element and waits for its callback; fails the test on an error.
    function exec(sql, args) {
        var done = false, failure = ""
        db.query(sql, args || [], function(rows, error) { done = true; failure = error })
        tryVerify(function() { return done }, 10000, sql)
        compare(failure, "", sql)
    }

    function initTestCase() {
        db.open()
        quiet.open()
        tryCompare(db, "status", Pool.Open, 10000)
        tryCompare(quiet, "status", Pool.Open, 10000)
    }

    function test_rowsArriveLoadingThenReady() {
        tryCompare(numbers, "status", QueryModel.Ready, 10000)
        verify(numbers.seen.indexOf(QueryModel.Loading) >= 0, "never Loading")
        verify(numbers.seen.indexOf(QueryModel.Loading) < numbers.seen.lastIndexOf(QueryModel.Ready))
        compare(numbers.rowCount, 3)
        compare(numbers.columnNames, ["id", "label"])
        compare(numbers.get(0).id, 1)
        compare(numbers.get(2).label, "row 3")
        compare(numbers.get(3), undefined)

        // A new argument runs the query again.
        numbers.seen = []
        numbers.arguments = [5]
        tryCompare(numbers, "rowCount", 5, 10000)
        compare(numbers.status, QueryModel.Ready)
        compare(numbers.seen[0], QueryModel.Loading)
        compare(numbers.get(4).label, "row 5")
    }

    function test_invalidQueryErrorsThenRecovers() {
        tryCompare(broken, "status", QueryModel.Error, 10000)
        compare(broken.sqlState, "42P01")
        compare(broken.errorPosition, 15) // where no_such_table starts in the query as given
        verify(broken.errorMessage.indexOf("no_such_table") >= 0, broken.errorMessage)
        compare(broken.rowCount, 0)

        broken.query = "SELECT 'fine' AS word"
        tryCompare(broken, "status", QueryModel.Ready, 10000)
        compare(broken.sqlState, "")
        compare(broken.errorPosition, 0)
        compare(broken.errorMessage, "")
        compare(broken.rowCount, 1)
        compare(broken.get(0).word, "fine")
    }

    function test_argumentsAreBound() {
        tryCompare(bound, "status", QueryModel.Ready, 10000)
        compare(bound.rowCount, 1)
        var row = bound.get(0)
        compare(row.s, "it's")
        compare(row.twice, 42)
        compare(row.d, null)
        compare(row.b, true)
    }

    function test_propertyChangesInOnePassRunOnce() {
        // The query needs two arguments: run with the new query and the old (empty) arguments, it
        // would fail; coalesced, it runs once with both.
        compare(coalesced.status, QueryModel.Idle)
        compare(quiet.stats.acquires, 0)
        coalesced.query = "SELECT $1::int + $2::int AS sum"
        coalesced.arguments = [40, 2]
        coalesced.chunkSize = 10
        tryCompare(coalesced, "status", QueryModel.Ready, 10000)
        compare(coalesced.get(0).sum, 42)
        // Several runs would have acquired in the same pass, before the statistics saw the first.
        tryVerify(function() { return quiet.stats.acquires >= 1 }, 5000)
        compare(quiet.stats.acquires, 1)
    }

    function test_viewsShowTheRows() {
        tryCompare(shown, "status", QueryModel.Ready, 10000)
        tryCompare(list, "count", 4, 5000)
        tryVerify(function() { return list.itemAtIndex(3) !== null }, 5000)
        compare(list.itemAtIndex(0).text, "1:item 1")
        compare(list.itemAtIndex(3).text, "4:item 4")

        tryCompare(table, "rows", 4, 5000)
        compare(table.columns, 2)
        table.forceLayout()
        tryVerify(function() { return table.itemAtCell(Qt.point(1, 3)) !== null }, 5000)
        compare(table.itemAtCell(Qt.point(0, 0)).text, "1")
        compare(table.itemAtCell(Qt.point(1, 3)).text, "item 4")
    }

    function test_notifyRefreshes() {
        exec("DROP TABLE IF EXISTS qml_querymodel_live")
        exec("CREATE TABLE qml_querymodel_live (id int PRIMARY KEY, v text)")
        exec("INSERT INTO qml_querymodel_live VALUES (1, 'before'), (2, 'other')")
        live.refreshChannel = "qml_querymodel_live"
        live.query = "SELECT id, v FROM qml_querymodel_live ORDER BY id"
        tryCompare(live, "status", QueryModel.Ready, 10000)
        tryCompare(live, "listening", true, 10000)
        compare(live.get(0).v, "before")

        // The change alone does not show: the model reads again only when told.
        liveRefreshed.clear()
        exec("UPDATE qml_querymodel_live SET v = 'after' WHERE id = 1")
        compare(live.get(0).v, "before")
        compare(liveRefreshed.count, 0)

        exec("SELECT pg_notify('qml_querymodel_live', '1')")
        liveRefreshed.wait(10000)
        compare(live.get(0).v, "after")
        compare(live.get(1).v, "other")
        compare(live.rowCount, 2)
    }

    function test_followsThePoolWhenItReopens() {
        compare(backend.status, QueryModel.Idle) // the pool is not open yet
        reopened.open()
        tryCompare(backend, "status", QueryModel.Ready, 10000)
        var firstPid = backend.get(0).pid
        verify(firstPid > 0)
        reopened.open() // a new QPg::Pool with new connections
        tryVerify(function() { return backend.rowCount === 1 && backend.get(0).pid !== firstPid }, 10000)
        compare(backend.status, QueryModel.Ready)
        reopened.close()
        tryCompare(reopened, "status", Pool.Closed, 10000)
    }

    function test_refreshCancelClear() {
        exec("DROP SEQUENCE IF EXISTS qml_querymodel_seq")
        exec("CREATE SEQUENCE qml_querymodel_seq")
        invokables.query = "SELECT nextval('qml_querymodel_seq') AS n"
        tryCompare(invokables, "status", QueryModel.Ready, 10000)
        compare(invokables.get(0).n, 1)
        invokables.refresh()
        tryVerify(function() { return invokables.get(0).n === 2 }, 10000)

        // A query that would sleep for a minute stops on the server at cancel(), without an error.
        invokables.query = "SELECT pg_sleep(60) AS slept"
        tryCompare(invokables, "status", QueryModel.Loading, 10000)
        invokables.cancel()
        tryCompare(invokables, "status", QueryModel.Ready, 10000)
        compare(invokables.errorMessage, "")

        invokables.clear()
        compare(invokables.status, QueryModel.Idle)
        compare(invokables.rowCount, 0)
        compare(invokables.columnNames, [])
        compare(invokables.query, "SELECT pg_sleep(60) AS slept") // the property stays
        invokables.query = "SELECT 'again' AS word"
        tryCompare(invokables, "status", QueryModel.Ready, 10000)
        compare(invokables.get(0).word, "again")
    }

    function test_delegatesReadColumnsByName() {
        // Views read the role names once, at their first delegate: after a query with other
        // columns a role still means its column by name, and a view set up again sees every column.
        tryCompare(reshaped, "status", QueryModel.Ready, 10000)
        tryCompare(reshapedList, "count", 1, 5000)
        tryVerify(function() { return reshapedList.itemAtIndex(0) !== null }, 5000)
        compare(reshapedList.itemAtIndex(0).text, "a=first")
        reshaped.query = "SELECT 'second' AS b, 'A2' AS a UNION ALL SELECT 'third', 'A3'"
        tryCompare(reshaped, "rowCount", 2, 10000)
        tryVerify(function() { return reshapedList.itemAtIndex(1) !== null }, 5000)
        compare(reshapedList.itemAtIndex(0).text, "a=A2")
        compare(reshapedList.itemAtIndex(1).text, "a=A3")

        reshapedList.model = null
        reshapedList.model = reshaped
        tryVerify(function() { return reshapedList.itemAtIndex(1) !== null }, 5000)
        compare(reshapedList.itemAtIndex(0).text, "b=second")
        compare(reshapedList.itemAtIndex(1).text, "b=third")
    }
}
