"""The store's typed API, one mixin per area. Each method builds the keys (dre.store.keys) and
arguments of one command, sends it through ``StoreCore.call`` and turns the reply into a record
(dre.store.records). ``actors.store.Store`` combines them."""
