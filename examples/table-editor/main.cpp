// SPDX-License-Identifier: MIT
// table-editor: a QTableView on a QPg::TableModel. Edits, new rows and removals stay in the model
// until Submit sends them in one transaction (Revert drops them); a row someone else changed
// meanwhile is reported as a conflict in the status bar instead of being overwritten.
//
//   qpgpool-table-editor                 a throwaway server (QPg::Dev::PrivateCluster) with a demo table
//   qpgpool-table-editor DSN [TABLE]     TABLE on that server (default: the demo table, made if missing)
//   --state-file FILE                    the server a qpg-cluster state file names (the test run's)
//   --selftest                           load, edit one cell, submit, check, exit 0 (or 1)
//   --screenshot FILE                    save the window as FILE once the rows are in, then exit

#include <QPg/pool.h>
#include <QPg/tablemodel.h>

#include "privatecluster.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QTimer>
#include <QtWidgets/QApplication>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMainWindow>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QVBoxLayout>

#include <cstdio>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace {

const QString DemoTable = u"table_editor_demo"_s;

void fail(const QString &message)
{
    std::fprintf(stderr, "table-editor: %s\n", qUtf8Printable(message));
}

// The editor window: filter box, table, buttons; errors go to the status bar.
class EditorWindow : public QMainWindow
{
public:
    EditorWindow(QPg::Pool *pool, const QString &table)
    {
        setWindowTitle(u"QPgPool table editor: "_s + table);
        model.setTable(pool, table);
        view.setModel(&model);
        view.setSortingEnabled(true); // header clicks sort in SQL (TableModel::sort)
        view.horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);

        filterBox.setPlaceholderText(u"Filter: a SQL condition, e.g. quantity > 10"_s);
        auto *central = new QWidget;
        auto *layout = new QVBoxLayout(central);
        auto *filterRow = new QHBoxLayout;
        filterRow->addWidget(new QLabel(u"Filter"_s));
        filterRow->addWidget(&filterBox);
        layout->addLayout(filterRow);
        layout->addWidget(&view);
        auto *buttons = new QHBoxLayout;
        for (QPushButton *button : {&addButton, &removeButton, &submitButton, &revertButton})
            buttons->addWidget(button);
        buttons->addStretch();
        layout->addLayout(buttons);
        setCentralWidget(central);
        resize(720, 480);

        connect(&filterBox, &QLineEdit::returnPressed, this, [this] {
            model.setFilter(filterBox.text());
            model.select();
        });
        connect(&addButton, &QPushButton::clicked, this, [this] { model.insertRows(model.rowCount(), 1); });
        connect(&removeButton, &QPushButton::clicked, this, [this] {
            if (view.currentIndex().isValid())
                model.removeRows(view.currentIndex().row(), 1);
        });
        connect(&submitButton, &QPushButton::clicked, this, [this] { model.submitAll(); });
        connect(&revertButton, &QPushButton::clicked, this, [this] { model.revertAll(); });
        connect(&model, &QPg::TableModel::errorOccurred, this,
                [this](const QString &message) { statusBar()->showMessage(u"Error: "_s + message); });
        connect(&model, &QPg::TableModel::submitted, this, [this](bool ok) {
            if (ok)
                statusBar()->showMessage(u"Saved"_s, 5000);
        });
        connect(&model, &QPg::TableModel::pendingChangesChanged, this, &EditorWindow::updateButtons);
        connect(&model, &QPg::TableModel::submittingChanged, this, &EditorWindow::updateButtons);
        connect(&model, &QPg::TableModel::readOnlyChanged, this, [this] {
            if (model.isReadOnly() && !model.readOnlyReason().isEmpty())
                statusBar()->showMessage(u"Read-only: "_s + model.readOnlyReason());
            updateButtons();
        });
        updateButtons();
        model.select();
    }

    void updateButtons()
    {
        const bool editable = !model.isReadOnly() && !model.isSubmitting();
        addButton.setEnabled(editable);
        removeButton.setEnabled(editable);
        submitButton.setEnabled(editable && model.hasPendingChanges());
        revertButton.setEnabled(model.hasPendingChanges());
    }

    QPg::TableModel model;
    QTableView view;
    QLineEdit filterBox;
    QPushButton addButton{u"Add row"_s};
    QPushButton removeButton{u"Remove row"_s};
    QPushButton submitButton{u"Submit"_s};
    QPushButton revertButton{u"Revert"_s};
};

// Loads the table, sets the quantity of its first row through the view's model, submits and reads
// the value back on a connection of its own.
void runSelfTest(EditorWindow &window, QPg::Pool *pool, const QString &table)
{
    QPg::TableModel &model = window.model;
    const auto finish = [](bool ok, const QString &why) {
        if (!ok)
            fail(u"self-test failed: "_s + why);
        else
            std::printf("table-editor: self-test passed\n");
        QCoreApplication::exit(ok ? 0 : 1);
    };
    QTimer::singleShot(60000, qApp, [finish] { finish(false, u"no result within 60 s"_s); });
    QObject::connect(&model, &QPg::TableModel::errorOccurred, qApp,
                     [finish](const QString &message) { finish(false, message); });
    auto edited = std::make_shared<bool>(false);
    QObject::connect(&model, &QPg::TableModel::statusChanged, qApp, [&model, &window, edited, finish] {
        if (*edited || model.status() != QPg::TableModel::Status::Ready || model.rowCount() == 0)
            return;
        *edited = true;
        const int quantity = int(model.columnNames().indexOf(u"quantity"_s));
        const QModelIndex cell = window.view.model()->index(0, quantity);
        const int next = cell.data(Qt::EditRole).toInt() + 1;
        if (!window.view.model()->setData(cell, next))
            return finish(false, u"the cell is not editable"_s);
        if (!model.submitAll())
            return finish(false, u"submitAll() refused"_s);
    });
    QObject::connect(&model, &QPg::TableModel::submitted, qApp, [&model, pool, table, finish](bool ok) {
        if (!ok)
            return finish(false, model.errorMessage());
        const QVariant id = model.data(model.index(0, 0), Qt::EditRole);
        const int shown = model.data(model.index(0, int(model.columnNames().indexOf(u"quantity"_s))), Qt::EditRole).toInt();
        auto stored = pool->fetchValue(u"SELECT quantity FROM %1 WHERE id = $1"_s.arg(table), {id});
        stored.then(qApp, [shown, finish](const QVariant &value) {
            finish(value.toInt() == shown && !value.isNull(),
                   u"table has %1, model shows %2"_s.arg(value.toString()).arg(shown));
        }).onFailed(qApp, [finish](const QPg::Error &e) { finish(false, e.message()); });
    });
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Edit a PostgreSQL table through QPg::TableModel."_s);
    parser.addHelpOption();
    parser.addPositionalArgument(u"dsn"_s, u"Server to connect to (default: a throwaway private server)."_s);
    parser.addPositionalArgument(u"table"_s, u"Table to edit (default: a demo table, made if missing)."_s);
    const QCommandLineOption selfTest(u"selftest"_s, u"Load, edit one cell, submit, check; exit 0 or 1."_s);
    const QCommandLineOption stateFile(u"state-file"_s, u"Use the server a qpg-cluster state file names."_s,
                                       u"file"_s);
    const QCommandLineOption screenshot(u"screenshot"_s, u"Save the window once loaded, then exit."_s, u"file"_s);
    parser.addOptions({selfTest, stateFile, screenshot});
    parser.process(app);

    QString dsn = parser.positionalArguments().value(0);
    QString table = parser.positionalArguments().value(1, DemoTable);
    std::optional<QPg::Dev::PrivateCluster> cluster;
    QString error;
    if (parser.isSet(stateFile)) {
        const auto state = QPg::Dev::PrivateCluster::readStateFile(parser.value(stateFile), &error);
        if (!state) {
            fail(error);
            return 1;
        }
        dsn = state->value(u"DSN"_s);
    } else if (dsn.isEmpty()) {
        cluster.emplace();
        std::printf("table-editor: starting a private PostgreSQL server...\n");
        if (!cluster->start(&error)) {
            fail(error);
            return 1;
        }
        dsn = cluster->dsn();
    }

    QPg::PoolOptions options = QPg::PoolOptions::fromDsn(dsn);
    options.minSize = 1;
    options.maxSize = 4;
    QPg::Pool pool(options);
    std::unique_ptr<EditorWindow> window;
    const auto showTable = [&] {
        window = std::make_unique<EditorWindow>(&pool, table);
        if (parser.isSet(selfTest)) {
            runSelfTest(*window, &pool, table);
            return;
        }
        window->show();
        if (parser.isSet(screenshot)) {
            QObject::connect(&window->model, &QPg::TableModel::finished, &app, [&] {
                window->view.resizeColumnsToContents();
                const bool saved = window->grab().save(parser.value(screenshot));
                QCoreApplication::exit(saved ? 0 : 1);
            });
        }
    };
    const auto reportFailure = [](const QPg::Error &e) {
        fail(e.message());
        QCoreApplication::exit(1);
    };
    const auto prepare = [&] {
        if (table != DemoTable) {
            showTable();
            return;
        }
        // The demo table, made once; the quantity's CHECK shows the server refusing a bad edit.
        pool.execute(u"CREATE TABLE IF NOT EXISTS table_editor_demo ("
                     "  id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                     "  name text NOT NULL UNIQUE,"
                     "  quantity int NOT NULL DEFAULT 0 CHECK (quantity >= 0),"
                     "  updated timestamptz NOT NULL DEFAULT now());"
                     "INSERT INTO table_editor_demo (name, quantity) SELECT name, q FROM (VALUES "
                     "  ('apple', 12), ('banana', 6), ('cherry', 250), ('damson', 0), ('elderberry', 40)) v(name, q) "
                     "WHERE NOT EXISTS (SELECT 1 FROM table_editor_demo)"_s)
            .then(&app, [&](const QString &) { showTable(); })
            .onFailed(&app, reportFailure);
    };
    pool.open().then(&app, prepare).onFailed(&app, reportFailure);
    return app.exec();
}
