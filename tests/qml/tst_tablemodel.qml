// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import QPgPool

TestCase {
    name: "QmlTableModel"
    width: 400
    height: 400
    when: windowShown

    Pool { id: db; dsn: testDsn; minSize: 1; maxSize: 4 }

    TableModel { id: fruit; pool: db; sortColumn: "id" }
    SignalSpy { id: submitted; target: fruit; signalName: "submitted" }

    // Cells edit the way a delegate does: by assigning to display.
    TableView {
        id: grid
        width: 400; height: 200
        model: fruit
        delegate: Item {
            property alias text: cell.text
            function edit(value) { display = value }
            implicitWidth: 80
            implicitHeight: 20
            Text { id: cell; text: display }
        }
    }
    // A list delegate edits a column by its name.
    ListView {
        id: list
        y: 200; width: 200; height: 200
        model: fruit
        delegate: Text {
            function rename(value) { model.name = value }
            height: 20
            text: name
        }
    }

    TableModel { id: keyless; pool: db }
    TableModel { id: sorted; pool: db }

    // Runs sql through the Pool element and gives its rows; fails the test on an error.
    function exec(sql, args) {
        var done = false, failure = "", rows = null
        db.query(sql, args || [], function(result, error) { done = true; failure = error; rows = result })
        tryVerify(function() { return done }, 10000, sql)
        compare(failure, "", sql)
        return rows
    }

    function initTestCase() {
        db.open()
        tryCompare(db, "status", Pool.Open, 10000)
        exec("DROP TABLE IF EXISTS qml_tablemodel_fruit")
        exec("CREATE TABLE qml_tablemodel_fruit (id serial PRIMARY KEY, name text NOT NULL, quantity int NOT NULL DEFAULT 7)")
        exec("DROP TABLE IF EXISTS qml_tablemodel_keyless")
        exec("CREATE TABLE qml_tablemodel_keyless (v text)")
        fruit.table = "qml_tablemodel_fruit"
        keyless.table = "qml_tablemodel_keyless"
        tryCompare(fruit, "status", TableModel.Ready, 10000)
    }

    // Every test starts from the same three rows, nothing pending.
    function init() {
        fruit.revertAll()
        exec("TRUNCATE qml_tablemodel_fruit RESTART IDENTITY")
        exec("INSERT INTO qml_tablemodel_fruit (name, quantity) VALUES ('apple', 3), ('pear', 12), ('plum', 20)")
        fruit.select()
        tryVerify(function() { return fruit.status === TableModel.Ready && fruit.rowCount === 3 }, 10000)
        compare(fruit.get(0).name, "apple")
        submitted.clear()
    }

    function test_readsTheTable() {
        compare(fruit.readOnly, false)
        compare(fruit.columnNames, ["id", "name", "quantity"])
        compare(fruit.get(1).name, "pear")
        compare(fruit.get(2).quantity, 20)
    }

    function test_editFromDelegatesThenSubmit() {
        tryVerify(function() { return grid.itemAtCell(Qt.point(1, 0)) !== null }, 5000)
        grid.itemAtCell(Qt.point(1, 0)).edit("apricot")
        compare(fruit.dirty, true)
        compare(fruit.get(0).name, "apricot") // pending edits show before they are sent
        tryVerify(function() { return list.itemAtIndex(1) !== null }, 5000)
        list.itemAtIndex(1).rename("peach")
        compare(fruit.get(1).name, "peach")
        compare(exec("SELECT name FROM qml_tablemodel_fruit WHERE id = 1")[0].name, "apple") // not sent yet

        verify(fruit.submitAll())
        submitted.wait(10000)
        compare(submitted.signalArguments[0][0], true)
        compare(fruit.dirty, false)
        var rows = exec("SELECT name FROM qml_tablemodel_fruit ORDER BY id")
        compare(rows[0].name, "apricot")
        compare(rows[1].name, "peach")
    }

    function test_insertWithDefaultsAndRevert() {
        var row = fruit.appendRow()
        compare(row, 3)
        verify(fruit.set(row, "name", "quince"))
        compare(fruit.rowCount, 4)
        fruit.revertAll()
        compare(fruit.rowCount, 3)
        compare(fruit.dirty, false)

        row = fruit.appendRow()
        verify(fruit.set(row, "name", "quince"))
        verify(fruit.submitAll())
        submitted.wait(10000)
        compare(submitted.signalArguments[0][0], true)
        compare(fruit.get(row).quantity, 7) // the server's default, read back
        compare(fruit.get(row).id, 4)
        compare(exec("SELECT count(*)::int AS n FROM qml_tablemodel_fruit WHERE name = 'quince'")[0].n, 1)
    }

    function test_filterAndSortSelectAgain() {
        // The filter's value is bound; sort changes select again.
        function firstQuantity() { var row = sorted.get(0); return row === undefined ? -1 : row.quantity }
        sorted.filter = "quantity > $1"
        sorted.filterArguments = [10]
        sorted.sortColumn = "quantity"
        sorted.table = "qml_tablemodel_fruit"
        tryVerify(function() { return sorted.status === TableModel.Ready && sorted.rowCount === 2 }, 10000)
        compare(firstQuantity(), 12)
        sorted.sortOrder = Qt.DescendingOrder
        tryVerify(function() { return sorted.status === TableModel.Ready && firstQuantity() === 20 }, 10000)
        compare(sorted.rowCount, 2)
        sorted.filterArguments = [100]
        tryVerify(function() { return sorted.status === TableModel.Ready && sorted.rowCount === 0 }, 10000)
    }

    function test_wrongValueRollsBackWithTypedError() {
        verify(fruit.set(0, "quantity", "many"))
        verify(fruit.submitAll())
        submitted.wait(10000)
        compare(submitted.signalArguments[0][0], false)
        compare(fruit.status, TableModel.Error)
        compare(fruit.sqlState, "22P02") // invalid text representation
        compare(fruit.dirty, true) // kept, to fix or revert
        fruit.revertAll()
        compare(fruit.dirty, false)
        fruit.select()
        tryCompare(fruit, "status", TableModel.Ready, 10000)
        compare(fruit.get(0).quantity, 3)
    }

    function test_tableWithoutKeyIsReadOnly() {
        tryVerify(function() { return keyless.readOnly }, 10000)
        verify(keyless.readOnlyReason.length > 0, "no reason given")
        compare(keyless.appendRow(), -1)
    }
}
