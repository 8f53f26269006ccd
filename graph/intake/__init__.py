"""Intake: from a new document's text to candidate records a person reviews and accepts.

``propose`` splits the document into sentences, marks those that state no fact, finds in each the
things the graph knows (``gazetteer``), new names, dates, amounts and quantities (``values``), and
proposes candidate records by general rules (``rules``); ``candidates`` keeps them in a file of
their own, never in the records; ``accept`` moves the accepted ones into the records."""
