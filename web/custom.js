/* This file is part of Concorde.  The COPYRIGHT file at the top level of
   this repository contains the full copyright notices and license terms.

   Loaded by the web client (sao) from its root: scripts/setup-env copies it
   beside sao's index.html. */
(function() {
    'use strict';

    // A report with a context (the dues year of the dues report, the dates
    // of the participation statistics) shows the records of the new context
    // as soon as one of its fields changes, not only once "Reload" is
    // clicked.
    const init = Sao.Screen.prototype.init;
    Sao.Screen.prototype.init = function(model_name, attributes) {
        init.call(this, model_name, attributes);
        if (this.context_screen) {
            this.context_screen.windows.push({
                record_modified: () => {
                    if (this.current_view) {
                        this.search_filter(this.screen_container.get_text());
                    }
                },
            });
        }
    };
}());
