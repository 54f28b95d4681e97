expected snapshot text
