// SPDX-License-Identifier: MIT
// Runs the QML tests in tests/qml/ against the test run's PostgreSQL server, with the QPgPool QML
// module from the build tree.
#include "testserver.h"

#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/quicktest.h>

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(QPG_QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("testDsn"), QPgTest::dsn());
        engine->rootContext()->setContextProperty(QStringLiteral("wrongPasswordDsn"),
                                                  QPgTest::passwordDsnWith(QStringLiteral("not-the-password")));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml, Setup)

#include "tst_qml.moc"
