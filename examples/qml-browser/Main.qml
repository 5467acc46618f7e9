// SPDX-License-Identifier: MIT
// The browser's window: a table picker (a QueryModel over information_schema), a page of the chosen
// table in a TableView (a QueryModel with LIMIT/OFFSET arguments, refreshed by NOTIFY), and a button
// that changes a row through a second connection, as another client would.
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
    property int page: 0

    // The application's pool, and a second one that plays "another client".
    Pool { id: db; dsn: appDsn; minSize: 1; maxSize: 4; Component.onCompleted: open() }
    Pool { id: otherClient; dsn: appDsn; minSize: 1; maxSize: 1; Component.onCompleted: open() }

    QueryModel {
        id: tables
        pool: db
        query: "SELECT table_schema || '.' || table_name AS name, table_schema, table_name"
               + " FROM information_schema.tables"
               + " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
               + " ORDER BY table_schema <> 'public', 1"
        fetchMode: QueryModel.Eager
    }

    // A quoted identifier for the chosen table, so any name is safe to put into the query text.
    function quoted(name) { return '"' + name.replace(/"/g, '""') + '"' }
    readonly property var chosen: tablePicker.currentIndex >= 0 && tables.rowCount > tablePicker.currentIndex
                                  ? tables.get(tablePicker.currentIndex) : null
    readonly property bool demoChosen: chosen !== null && chosen.name === demoTable

    QueryModel {
        id: rows
        pool: db
        // Paging in SQL: one page at a time, with the offset as a bound parameter. The demo table is
        // ordered by its key, so rows keep their place when a NOTIFY refreshes the page.
        query: window.chosen === null ? ""
               : "SELECT * FROM " + quoted(window.chosen.table_schema) + "." + quoted(window.chosen.table_name)
                 + (window.demoChosen ? " ORDER BY id" : "") + " LIMIT $1 OFFSET $2"
        arguments: [window.pageSize, window.page * window.pageSize]
        keyColumns: window.demoChosen ? ["id"] : []
        refreshChannel: window.demoChosen ? "qpg_browser_demo" : ""
        refreshDelay: 100
        onRefreshed: activity.text = "NOTIFY arrived: the page was read again"
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
                onActivated: window.page = 0
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
            Button {
                text: "◀ Previous"
                enabled: window.page > 0
                onClicked: window.page -= 1
            }
            Label {
                text: rows.rowCount === 0 ? "no rows"
                      : "rows " + (window.page * window.pageSize + 1) + "–" + (window.page * window.pageSize + rows.rowCount)
            }
            Button {
                text: "Next ▶"
                enabled: rows.rowCount === window.pageSize
                onClicked: window.page += 1
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

    // Changes the first row shown through the other pool's connection. The browser's model does not
    // re-read on its own: the table's trigger sends NOTIFY qpg_browser_demo, the model listens on it.
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
            id: columnHeader
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
            delegate: Rectangle {
                // A column is as wide as its widest loaded cell, within limits.
                implicitWidth: Math.min(320, Math.max(80, cellWidth.advanceWidth + 12))
                implicitHeight: 26
                color: row % 2 ? window.palette.alternateBase : window.palette.base
                TextMetrics { id: cellWidth; font: cellText.font; text: display }
                Label {
                    id: cellText
                    anchors.fill: parent
                    anchors.margins: 4
                    verticalAlignment: Text.AlignVCenter
                    elide: Text.ElideRight
                    text: display
                    // SQL NULL shows as "NULL", greyed out, so it is not mistaken for the text.
                    opacity: isNull ? 0.5 : 1
                }
            }
        }
    }

    footer: ToolBar {
        RowLayout {
            anchors.fill: parent
            Label {
                text: rows.status === QueryModel.Error ? "Error " + rows.sqlState + ": " + rows.errorMessage
                      : rows.status === QueryModel.Loading ? "Loading…"
                      : rows.listening ? "Listening for changes" : "Ready"
                color: rows.status === QueryModel.Error ? "firebrick" : window.palette.windowText
            }
            Label {
                id: activity
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
            }
            // Editing comes with the TableModel element; until then the browser only reads.
            Label { text: "read-only: editing cells needs TableModel"; opacity: 0.6 }
        }
    }

    // --selftest: rows shown → another client's update → the NOTIFY refresh shows it → exit 0.
    Timer {
        running: selfTest
        interval: 100
        repeat: true
        property int step: 0
        onTriggered: {
            if (rows.status === QueryModel.Error || db.status === Pool.Error) {
                console.error("selftest: " + rows.errorMessage + db.errorString)
                Qt.exit(1)
            } else if (step === 0 && window.demoChosen && rows.listening && rows.rowCount > 0
                       && grid.itemAtCell(Qt.point(1, 0)) !== null && otherClientButton.enabled) {
                console.info("selftest: " + rows.rowCount + " rows shown; first: " + grid.itemAtCell(Qt.point(1, 0)).children[0].text)
                step = 1
                otherClientButton.clicked()
            } else if (step === 1 && window.expectedQuantity >= 0
                       && rows.get(0).quantity === window.expectedQuantity
                       && grid.itemAtCell(Qt.point(2, 0)).children[0].text === String(window.expectedQuantity)) {
                console.info("selftest: the refresh shows quantity " + window.expectedQuantity + " after NOTIFY")
                Qt.exit(0)
            }
        }
    }
    Timer {
        running: selfTest
        interval: 60000
        onTriggered: {
            console.error("selftest: timed out (step " + activity.text + ")")
            Qt.exit(1)
        }
    }
}
