// SPDX-License-Identifier: MIT
#pragma once

#include <QtWidgets/QLabel>

namespace QPg::Monitor {

// A one-line label that shortens its text with "…" to the width it gets instead of asking for the
// whole text's width (a long DSN would push a status bar past a small window); the whole text is
// its tool tip. Its size hint is capped at maxHintWidth.
class ElidedLabel : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ElidedLabel)
public:
    explicit ElidedLabel(QWidget *parent = nullptr, Qt::TextElideMode mode = Qt::ElideMiddle, int maxHintWidth = 320);
    ~ElidedLabel() override;

    void setFullText(const QString &text);
    QString fullText() const { return m_fullText; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateShownText();

    QString m_fullText;
    Qt::TextElideMode m_mode;
    int m_maxHintWidth;
};

} // namespace QPg::Monitor
