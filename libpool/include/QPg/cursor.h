// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/qpgpool_export.h>
#include <QPg/record.h>

#include <QtCore/QFuture>

#include <memory>

namespace QPg {

class Connection;
struct CursorData;

// A server-side cursor over a query's result, read in chunks so a result of any size passes
// through bounded memory. The caller asks for the next chunk when it is ready for it
// (back-pressure). Outside a transaction the cursor opens one of its own and ends it (COMMIT) when
// the cursor is exhausted or closed. Copies share the cursor.
class QPGPOOL_EXPORT Cursor
{
public:
    Cursor();
    ~Cursor();
    Cursor(const Cursor &);
    Cursor &operator=(const Cursor &);

    bool isValid() const { return bool(d); }
    // The next count rows; fewer (possibly none) once the result is exhausted, which also closes
    // the cursor. A failure of the query itself is reported here.
    QFuture<RecordList> fetch(int count);
    bool atEnd() const;
    QFuture<void> close();

private:
    friend class Connection;
    friend struct CursorData;
    explicit Cursor(std::shared_ptr<CursorData> data);
    std::shared_ptr<CursorData> d;
};

} // namespace QPg
