// SPDX-License-Identifier: MIT
// The browser's window: a table picker (a QueryModel over information_schema), the chosen table in
// a TableView (a TableModel that reads 50 rows at a time through a cursor, takes edits until
// Submit, and reads again on NOTIFY), and a button that changes a row through a second connection,
// as another client would.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QPgPool

ApplicationWindow {
    id: window
    width: 960
    height: 640
    visible: true
    title: "QPgPool browser — " + (tablePicker.currentText || "no table")

    readonly property string demoTable: "public.qpg_browser_demo"
    readonly property int pageSize: 50

    // The application's pool, and a second one that plays "another client".
    Pool { id: db; dsn: appDsn; minSize: 1; maxSize: 4; Component.onCompleted: open() }
    Pool { id: otherClient; dsn: appDsn; minSize: 1; maxSize: 1; Component.onCompleted: open() }

    QueryModel {
        id: tables
        pool: db
        query: "SELECT table_schema || '.' || table_name AS name"
               + " FROM information_schema.tables"
               + " WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
               + " ORDER BY table_schema <> 'public', 1"
        fetchMode: QueryModel.Eager
    }

    readonly property string chosen: tablePicker.currentIndex >= 0 && tables.rowCount > tablePicker.currentIndex
                                     ? tables.get(tablePicker.currentIndex).name : ""
    readonly property bool demoChosen: chosen === demoTable

    TableModel {
        id: rows
        property bool moreToRead: true
        pool: db
        table: window.chosen // "schema.name" as written: the model quotes it
        chunkSize: window.pageSize // rows per page; "Next page" reads the next chunk
        // The demo table's trigger notifies on every change; the model then reads its rows again,
        // keeping pending edits on their rows.
        refreshChannel: window.demoChosen ? "qpg_browser_demo" : ""
        refreshDelay: 100
        onTableChanged: moreToRead = true
        onFinished: moreToRead = false
        onRefreshed: activity.text = "NOTIFY arrived: the rows were read again"
        onSubmitted: function(ok) {
            activity.text = ok ? "Saved in one transaction" : "Not saved: " + errorMessage
        }
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            Label { text: "Table:" }
            ComboBox {
                id: tablePicker
                Layout.preferredWidth: 280
                model: tables
                textRole: "name"
                // Start on the demo table once the list has arrived.
                Connections {
                    target: tables
                    function onFinished() {
                        for (var i = 0; i < tables.rowCount; ++i) {
                            if (tables.get(i).name === window.demoTable) {
                                tablePicker.currentIndex = i
                                return
                            }
                        }
                    }
                }
            }
            Label { text: rows.rowCount + (rows.moreToRead ? "+" : "") + " rows" }
            Button {
                id: nextPage
                text: "Next page ▼"
                enabled: rows.moreToRead && rows.status === TableModel.Ready
                onClicked: {
                    rows.fetchMore(rows.index(-1, -1))
                    grid.positionViewAtRow(rows.rowCount - 1, TableView.AlignTop)
                }
            }
            Item { Layout.fillWidth: true }
            Button {
                id: otherClientButton
                text: "Update from another client"
                enabled: window.demoChosen && otherClient.status === Pool.Open && rows.rowCount > 0
                onClicked: window.updateFromOtherClient()
            }
        }
    }

    // Changes the first row through the other pool's connection. The browser's model does not read
    // again on its own: the table's trigger sends NOTIFY qpg_browser_demo, the model listens on it.
    property int expectedQuantity: -1
    function updateFromOtherClient() {
        var id = rows.get(0).id
        otherClient.query("UPDATE qpg_browser_demo SET quantity = quantity + 100,"
                          + " note = 'changed by another client at ' || to_char(now(), 'HH24:MI:SS')"
                          + " WHERE id = $1 RETURNING quantity", [id],
                          function(result, error) {
                              if (error !== "") {
                                  activity.text = "The other client failed: " + error
                                  return
                              }
                              window.expectedQuantity = result[0].quantity
                              activity.text = "Another client changed row " + id + "; waiting for its NOTIFY…"
                          })
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        HorizontalHeaderView {
            syncView: grid
            clip: true
            Layout.fillWidth: true
        }
        TableView {
            id: grid
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: rows
            columnSpacing: 1
            rowSpacing: 1
            ScrollBar.vertical: ScrollBar {}
            ScrollBar.horizontal: ScrollBar {}
            // A cell shows its value; a double click edits it (kept until Submit).
            delegate: Rectangle {
                id: cell
                property bool editing: false
                property alias text: cellText.text
                // Ends editing with text as the cell's new value (setData through display).
                function commit(text) {
                    display = text
                    editing = false
                }
                function startEditing() {
                    if (rows.readOnly)
                        return
                    editor.text = edit === null || edit === undefined ? "" : String(edit)
                    editing = true
                    editor.forceActiveFocus()
                }
                // A column is as wide as its widest loaded cell, within limits.
                implicitWidth: Math.min(320, Math.max(80, cellWidth.advanceWidth + 12))
                implicitHeight: 28
                color: rowState == TableModel.Unchanged ? (row % 2 ? window.palette.alternateBase : window.palette.base)
                                                        : "#fff3c4" // pending: edited, inserted or removed
                TextMetrics { id: cellWidth; font: cellText.font; text: display }
                Label {
                    id: cellText
                    visible: !cell.editing
                    anchors.fill: parent
                    anchors.margins: 4
                    verticalAlignment: Text.AlignVCenter
                    elide: Text.ElideRight
                    text: display
                    // SQL NULL shows as "NULL", greyed out, so it is not mistaken for the text.
                    opacity: isNull ? 0.5 : 1
                }
                TextField {
                    id: editor
                    visible: cell.editing
                    anchors.fill: parent
                    onAccepted: cell.commit(text)
                    onActiveFocusChanged: if (!activeFocus) cell.editing = false
                    Keys.onEscapePressed: cell.editing = false
                }
                TapHandler { onDoubleTapped: cell.startEditing() }
            }
        }
    }

    footer: ToolBar {
        RowLayout {
            anchors.fill: parent
            Label {
                text: rows.status === TableModel.Error ? "Error " + rows.sqlState + ": " + rows.errorMessage
                      : rows.status === TableModel.Loading ? "Loading…"
                      : rows.listening ? "Listening for changes" : "Ready"
                color: rows.status === TableModel.Error ? "firebrick" : window.palette.windowText
            }
            Label {
                id: activity
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                elide: Text.ElideRight
            }
            Label {
                text: rows.readOnly ? "read-only: " + rows.readOnlyReason : "double-click a cell to edit"
                opacity: 0.6
            }
            Button { text: "Revert"; enabled: rows.dirty; onClicked: rows.revertAll() }
            Button { id: submitButton; text: "Submit"; enabled: rows.dirty && !rows.submitting; onClicked: rows.submitAll() }
        }
    }

    // --selftest: the first page shows → the next page → another client's update arrives by NOTIFY
    // → a cell edited in the view and submitted → the server has it → exit 0.
    Timer {
        id: selfTestSteps
        running: selfTest
        interval: 50
        repeat: true
        property int step: 0
        property int rowsBefore: 0
        function cellText(column, row) {
            var item = grid.itemAtCell(Qt.point(column, row))
            return item === null ? null : item.text
        }
        onTriggered: {
            if (rows.status === TableModel.Error || db.status === Pool.Error) {
                console.error("selftest: " + rows.errorMessage + db.errorString)
                Qt.exit(1)
            } else if (step === 0 && window.demoChosen && rows.rowCount >= window.pageSize && nextPage.enabled
                       && cellText(1, 0) !== null) {
                // The view may have asked for a page more than it shows already.
                console.info("selftest: " + rows.rowCount + " rows read; first shown: " + cellText(1, 0))
                rowsBefore = rows.rowCount
                step = 1
                nextPage.clicked()
            } else if (step === 1 && rows.rowCount >= rowsBefore + window.pageSize && rows.listening
                       && otherClientButton.enabled) {
                console.info("selftest: next page read: " + rows.rowCount + " rows")
                grid.positionViewAtRow(0, TableView.AlignTop)
                step = 2
                otherClientButton.clicked()
            } else if (step === 2 && window.expectedQuantity >= 0 && rows.get(0).quantity === window.expectedQuantity
                       && cellText(2, 0) === String(window.expectedQuantity)) {
                console.info("selftest: the NOTIFY refresh shows quantity " + window.expectedQuantity)
                step = 3
                var nameCell = grid.itemAtCell(Qt.point(1, 0))
                nameCell.startEditing()
                nameCell.commit("edited in the browser")
                submitButton.clicked()
            } else if (step === 3 && !rows.dirty && !rows.submitting) {
                step = 4
                otherClient.query("SELECT name FROM qpg_browser_demo WHERE id = $1", [rows.get(0).id],
                                  function(result, error) {
                                      var name = error === "" ? result[0].name : error
                                      console.info("selftest: the server has \"" + name + "\"")
                                      Qt.exit(name === "edited in the browser" ? 0 : 1)
                                  })
            }
        }
    }
    Timer {
        running: selfTest
        interval: 60000
        onTriggered: {
            console.error("selftest: timed out at step " + selfTestSteps.step)
            Qt.exit(1)
        }
    }
}
