// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QList>
#include <QtCore/QString>

namespace QPg::Private {

// How a model turns its rows into a refreshed result while views keep their selection and scroll
// position: rows are matched by key, and the model applies removals, a reordering of the rows that
// stay, then insertions, each with the matching begin/end calls.
struct RowDiff
{
    struct Range
    {
        int first = 0;
        int last = 0;
    };
    // Old rows whose key is gone, as ranges from the bottom up (so indexes stay valid while removing).
    QList<Range> removals;
    // For each row that stays, in the old order: its position among the staying rows in the new
    // order. Empty when the order does not change.
    QList<int> moves;
    // Rows of the new result that are new, as ranges of new positions from the top down.
    QList<Range> insertions;
};

// Keys must be unique in each list; keysAreUnique() says whether they are.
RowDiff diffRows(const QList<QString> &oldKeys, const QList<QString> &newKeys);
bool keysAreUnique(const QList<QString> &keys);

} // namespace QPg::Private
